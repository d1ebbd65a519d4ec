// Entry point of scansApi: registers the http function with functions-framework. Configuration is read
// at load, as ingestScan's is; the Firestore client is made on the first read.
import functions from "@google-cloud/functions-framework";
import { loadConfig } from "../config.ts";
import { outsideRequestDomain } from "../request-domain.ts";
import { createFirestore } from "../store.ts";
import { loadApiConfig } from "./config.ts";
import { loadDocs } from "./docs.ts";
import { createScansApi } from "./handler.ts";
import { openApiDocument } from "./openapi.ts";
import { firestoreReader, type Reader } from "./read.ts";
import { pageTokens } from "./token.ts";

const config = loadConfig();
const apiConfig = loadApiConfig(process.env, config);
let reader: Reader | undefined;
let docs: ReturnType<typeof loadDocs> | undefined;

function createReader(): Reader {
  const firestore = firestoreReader(createFirestore(config), config);
  return {
    service: (key) => outsideRequestDomain(() => firestore.service(key)),
    services: (filters, limit, cursor) =>
      outsideRequestDomain(() => firestore.services(filters, limit, cursor)),
    rejects: (filters, limit, cursor) =>
      outsideRequestDomain(() => firestore.rejects(filters, limit, cursor)),
    stats: () => outsideRequestDomain(() => firestore.stats()),
  };
}

functions.http(
  "scansApi",
  createScansApi({
    reader: () => (reader ??= createReader()),
    tokens: pageTokens(apiConfig.pageTokenSecret),
    openApi: openApiDocument,
    docs: () => (docs ??= loadDocs()),
    logError: (message, error) =>
      process.stdout.write(
        `${JSON.stringify({ severity: "ERROR", message: `scansApi: ${message}`, error: String((error as Error)?.message ?? error) })}\n`,
      ),
  }),
);

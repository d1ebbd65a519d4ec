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

const scansApi = createScansApi({
  reader: () => (reader ??= firestoreReader(createFirestore(config), config)),
  tokens: pageTokens(apiConfig.pageTokenSecret),
  openApi: openApiDocument,
  docs: () => (docs ??= loadDocs()),
  logError: (message, error) =>
    process.stdout.write(
      `${JSON.stringify({ severity: "ERROR", message: `scansApi: ${message}`, error: String((error as Error)?.message ?? error) })}\n`,
    ),
});

// The whole request runs outside functions-framework's per-request domain, not only its reads: the handler
// catches every failure itself, and inside the domain every promise and socket write it makes is tracked.
functions.http("scansApi", (request, response) => outsideRequestDomain(() => scansApi(request, response)));

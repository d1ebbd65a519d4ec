// Entry point: registers ingestScan with functions-framework. Configuration is validated at load.
import functions from "@google-cloud/functions-framework";
import { loadConfig } from "./config.ts";
import { createIngestScan } from "./ingest.ts";
import { logToStdout } from "./log.ts";
import { createFirestore, firestoreStore, type Store } from "./store.ts";

const config = loadConfig();
let store: Store | undefined;

functions.cloudEvent(
  "ingestScan",
  createIngestScan({
    config,
    store: () => (store ??= firestoreStore(createFirestore(config), config)),
    log: logToStdout,
  }),
);

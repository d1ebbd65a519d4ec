// Entry point: registers ingestScan with functions-framework. Configuration is validated at load.
import functions from "@google-cloud/functions-framework";
import { loadConfig } from "./config.ts";
import { createIngestScan } from "./ingest.ts";
import { logToStdout } from "./log.ts";
import { createFirestore, firestoreStore, type Store } from "./store.ts";

const config = loadConfig();
let store: Store | undefined;

/**
 * Runs the store call outside functions-framework's per-request domain. Inside it, every promise and
 * socket callback the Firestore SDK creates is tagged and re-entered, which cost more CPU than the SDK
 * itself under load; the call's failures still reach the handler as rejections.
 */
function outsideRequestDomain<T>(work: () => Promise<T>): Promise<T> {
  // Typed by hand: @types/node leaves process.domain out, the domain module being deprecated.
  const domain = (process as { domain?: { enter(): void; exit(): void } | null }).domain;
  if (!domain) return work();
  domain.exit();
  try {
    return work();
  } finally {
    domain.enter();
  }
}

function createStore(): Store {
  const firestore = firestoreStore(createFirestore(config), config);
  return {
    applyIfNewer: (key, document) => outsideRequestDomain(() => firestore.applyIfNewer(key, document)),
    writeReject: (id, document) => outsideRequestDomain(() => firestore.writeReject(id, document)),
  };
}

functions.cloudEvent(
  "ingestScan",
  createIngestScan({
    config,
    store: () => (store ??= createStore()),
    log: logToStdout,
  }),
);

// ingestScan as this instance runs it, whichever entry point registered it (index.ts for functions-framework,
// firebase.ts for the Firebase CLI): configuration read and validated once at load, the Firestore client
// made on the first message.
import { loadConfig, type Config } from "./config.ts";
import { createIngestScan } from "./ingest.ts";
import { logToStdout } from "./log.ts";
import { outsideRequestDomain } from "./request-domain.ts";
import { createFirestore, firestoreStore, type Store } from "./store.ts";

const config = startupConfig();
let store: Store | undefined;

/**
 * The configuration, or one structured ERROR line naming the bad variable before the load fails: on its own,
 * functions-framework reports a throw at load under "Is there a syntax error in your code?", and Cloud
 * Logging would not show it as this function's error.
 */
function startupConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    const message = `ingestScan cannot start: ${(error as Error).message}`;
    process.stderr.write(`${JSON.stringify({ severity: "ERROR", message })}\n`);
    throw error;
  }
}

const ingest = createIngestScan({
  config,
  store: () => (store ??= firestoreStore(createFirestore(config), config)),
  log: logToStdout,
});

/**
 * The one ingest both entry points serve: resolves when the message is stored or rejected, throws to be
 * redelivered. It runs whole outside functions-framework's per-request domain: its deadline timer, log line
 * and Firestore calls would otherwise each be tagged by the domain's hooks.
 */
export const ingestScan: typeof ingest = (event) => outsideRequestDomain(() => ingest(event));

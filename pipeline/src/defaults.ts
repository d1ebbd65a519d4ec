// The defaults of the local pipeline and its tools, in one place (as firebase-tools' src/emulator/constants.ts):
// the project, the ports, and the Pub/Sub and Firestore names of docs/contract.md §5. The project and the
// emulators' ports are @scan-ingest/emulator-shared/defaults', where `npm run emulators:google` reads them too: it cannot
// import this package, which depends on its own. That module imports nothing, so any bundle (the scanner's, the
// compose init's, the emulators' image) can hold both files as they are.
import { DEFAULT_EMULATOR_PORTS, DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";

export { DEFAULT_PROJECT };

const FUNCTION_PORT = 8090;

/** npm start's ports; docker-compose.yml and firebase.json put the emulators on the same ones. */
export const DEFAULT_PORTS = {
  /** firestore and pubsub: the emulators' own. */
  ...DEFAULT_EMULATOR_PORTS,
  /** npm start's web console. */
  console: 8088,
  /** The read API (scansApi): one below function server 1, whatever port that is given. */
  api: FUNCTION_PORT - 1,
  /** Function server 1; the others follow (8091, ...). */
  function: FUNCTION_PORT,
} as const;

/** The Pub/Sub names of docs/contract.md §5. */
export const DEFAULT_NAMES = {
  topic: "scan-topic",
  /** The push subscription to the function; a second instance's is scan-sub-2, and so on. */
  subscription: "scan-sub",
  deadLetterTopic: "scan-dead-letter",
  /** Keeps what is dead-lettered, since a topic without subscriptions drops it. */
  deadLetterSubscription: "scan-dead-letter-sub",
} as const;

/** Deliveries of a message before it is dead-lettered. */
export const MAX_DELIVERY_ATTEMPTS = 5;

/**
 * The Firestore collections, when SERVICES_COLLECTION and REJECTS_COLLECTION are unset. The function holds
 * its own copy (functions/src/config.ts: the deployed bundle depends on no tool); pipeline/test/defaults.test.ts
 * keeps the two equal.
 */
export const DEFAULT_COLLECTIONS = { services: "services", rejects: "rejects" } as const;

// The defaults of the local pipeline and its tools, in one place (as firebase-tools' src/emulator/constants.ts).
// Each is declared by what it belongs to and imported here: the project and the emulators' ports by the
// emulators (@scan-ingest/emulator-shared/defaults), the topics and delivery attempts by the deployment
// (functions/deploy.json), the collections by the function's configuration; the rest are the pipeline's own.
import { DEFAULT_EMULATOR_PORTS, DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";
import { DEFAULT_COLLECTIONS } from "@scan-ingest/functions/config";
import { deploySettings } from "@scan-ingest/functions/deploy-settings";

export { DEFAULT_COLLECTIONS, DEFAULT_PROJECT };

const FUNCTION_PORT = 8090;

/** npm start's ports; docker-compose.yml and firebase.json put the emulators on the same ones. */
export const DEFAULT_PORTS = {
  /** firestore and pubsub: the emulators' own. */
  ...DEFAULT_EMULATOR_PORTS,
  /** npm start's web console. */
  console: 8088,
  /** The read API (scansApi): one below the function port, whatever port that is given. */
  api: FUNCTION_PORT - 1,
  /** The push endpoint: the front of shared instances (which then listen from 8091), or function server 1. */
  function: FUNCTION_PORT,
} as const;

/** The Pub/Sub names of docs/contract.md §5: the deployment's topics, and local subscriptions to them. */
export const DEFAULT_NAMES = {
  topic: deploySettings.topic,
  /** The push subscription to the function, shared by every instance; in a duplicate storm the second's is scan-sub-2, … */
  subscription: "scan-sub",
  deadLetterTopic: deploySettings.deadLetterTopic,
  /** Keeps what is dead-lettered, since a topic without subscriptions drops it; named as `npm run deploy` does. */
  deadLetterSubscription: `${deploySettings.deadLetterTopic}-sub`,
} as const;

/** Deliveries of a message before it is dead-lettered. */
export const MAX_DELIVERY_ATTEMPTS = deploySettings.maxDeliveryAttempts;

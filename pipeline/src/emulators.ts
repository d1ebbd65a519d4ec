// The emulators of the local pipeline: the ones named (checked to answer), Google's started here, or
// embedded ones started here.
import { fileURLToPath } from "node:url";
import type { FirestoreEmulator } from "@scan-ingest/emulator-firestore";
import { parseHostPort, probePort } from "@scan-ingest/emulator-shared/ports";
import type { PubSubEmulator } from "@scan-ingest/emulator-pubsub";
import { PipelineStartError } from "./start-error.ts";

const REACH_TIMEOUT_MS = 3_000;
/** The index file production deploys: the embedded Firestore applies its TTL policies as production does. */
const INDEX_FILE = fileURLToPath(new URL("../../firestore.indexes.json", import.meta.url));

/** Which emulators, and where (PipelineOptions says what each field means). */
export interface EmulatorChoice {
  emulators?: "embedded" | "google";
  firestoreHost?: string;
  pubsubHost?: string;
  firestorePort?: number;
  pubsubPort?: number;
  firestoreTtlSweepMs?: number;
}

/** An emulator in use: its host:port, and its handle when it is an embedded one started here. */
export type Emulator<T> = { host: string; embedded: T | undefined };
type Embedded = { host: string; stop(): Promise<void> };
/** Registers what stops a part that started; the pipeline stops them in reverse order. */
export type OnStop = (stop: () => Promise<unknown>) => void;

/** Both emulators, started in parallel; each one started is registered with `onStop`, even if the other fails. */
export async function startEmulators(
  choice: EmulatorChoice,
  onStop: OnStop,
): Promise<{ firestore: Emulator<FirestoreEmulator>; pubsub: Emulator<PubSubEmulator> }> {
  const google = choice.emulators === "google" ? await startGoogle(choice, onStop) : undefined;
  const firestore = emulator(
    "firestore",
    google?.firestore ?? choice.firestoreHost,
    choice.firestorePort,
    async (port) => {
      const { start, readTtlPolicies } = await import("@scan-ingest/emulator-firestore");
      const policies = await readTtlPolicies(INDEX_FILE).catch((error: Error) => {
        throw new PipelineStartError("firestore", error.message, { cause: error });
      });
      return start({ port, ttl: { policies, sweepIntervalMs: choice.firestoreTtlSweepMs } });
    },
    onStop,
  );
  const pubsub = emulator(
    "pubsub",
    google?.pubsub ?? choice.pubsubHost,
    choice.pubsubPort,
    async (port) => (await import("@scan-ingest/emulator-pubsub")).start({ port }),
    onStop,
  );
  // Both settle before a failure is thrown, so the one that started is registered.
  await Promise.allSettled([firestore, pubsub]);
  return { firestore: await firestore, pubsub: await pubsub };
}

/** The emulator at `host` once it answers, or a new embedded one on `port`. */
async function emulator<T extends Embedded>(
  kind: "firestore" | "pubsub",
  host: string | undefined,
  port: number | undefined,
  start: (port: number) => Promise<T>,
  onStop: OnStop,
): Promise<Emulator<T>> {
  const name = kind === "firestore" ? "Firestore" : "Pub/Sub";
  const variable = kind === "firestore" ? "FIRESTORE_EMULATOR_HOST" : "PUBSUB_EMULATOR_HOST";
  if (host !== undefined) {
    const address = parseHostPort(host);
    const problem =
      address === undefined
        ? `"${host}" is not host:port`
        : await probePort(address.host, address.port, REACH_TIMEOUT_MS);
    if (problem !== undefined) {
      throw new PipelineStartError(
        kind,
        `cannot reach the ${name} emulator at ${host} (${problem}): start it, or unset ${variable} ` +
          `to use the embedded one`,
      );
    }
    return { host, embedded: undefined };
  }
  try {
    const embedded = await start(port ?? 0);
    onStop(() => embedded.stop());
    return { host: embedded.host, embedded };
  } catch (error) {
    if (error instanceof PipelineStartError) throw error;
    const message = (error as Error).message;
    const why = message.includes("EADDRINUSE") ? "the port is in use" : `${message}; is the port in use?`;
    throw new PipelineStartError(
      kind,
      `the embedded ${name} emulator cannot listen on 127.0.0.1:${port ?? 0}: ${why}. Stop what uses it ` +
        `(an earlier npm start or emulator?), choose another port, or set ${variable} to use a running emulator`,
      { port: port ?? 0, cause: error },
    );
  }
}

/** Starts Google's emulators on the requested ports; their hosts. Refused when hosts are given. */
async function startGoogle(
  choice: EmulatorChoice,
  onStop: OnStop,
): Promise<{ firestore: string; pubsub: string }> {
  if (choice.firestoreHost !== undefined || choice.pubsubHost !== undefined)
    throw new PipelineStartError(
      "emulators",
      "Google's emulators are started here only when FIRESTORE_EMULATOR_HOST and PUBSUB_EMULATOR_HOST are " +
        "unset: unset them, or drop --emulators google to use the emulators they name",
    );
  const { startGoogleEmulators, GoogleEmulatorError } = await import("@scan-ingest/emulator-google");
  try {
    const google = await startGoogleEmulators({
      firestorePort: choice.firestorePort ?? 0,
      pubsubPort: choice.pubsubPort ?? 0,
    });
    onStop(() => google.stop());
    return { firestore: google.firestore.host, pubsub: google.pubsub.host };
  } catch (error) {
    if (!(error instanceof GoogleEmulatorError)) throw error;
    throw new PipelineStartError("emulators", `${error.message} (or drop --emulators google)`, {
      cause: error,
    });
  }
}

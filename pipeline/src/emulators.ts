// The emulators of the local pipeline: the ones named (checked to answer), or embedded ones started here.
import { parseHostPort, probePort } from "@scan-ingest/emulator-google/ports";
import { PipelineStartError } from "./function-server.ts";

const REACH_TIMEOUT_MS = 3_000;

type Emulator<T> = { host: string; embedded: T | undefined };
type Embedded = { host: string; stop(): Promise<void> };

/** The emulator at `host` once it answers, or a new embedded one on `port`. */
export async function emulator<T extends Embedded>(
  kind: "firestore" | "pubsub",
  host: string | undefined,
  port: number | undefined,
  start: (port: number) => Promise<T>,
  stops: Array<() => Promise<void>>,
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
    stops.push(() => embedded.stop());
    return { host: embedded.host, embedded };
  } catch (error) {
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

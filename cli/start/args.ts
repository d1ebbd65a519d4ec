// `npm start` flags: its own (instances, ports) taken out, the rest read by the scanner's own parseOptions.
import { DEFAULT_NAMES, DEFAULT_PORTS } from "@scan-ingest/pipeline/defaults";
import {
  OptionsError,
  parseOptions,
  USAGE as SCANNER_USAGE,
  type ScannerOptions,
} from "@scan-ingest/scanner";

export interface StartOptions {
  /** Which emulators to start when no *_EMULATOR_HOST names one: the embedded ones or Google's. */
  emulators: "embedded" | "google";
  instances: number;
  /** First function server port; 0: free ones. */
  functionPort: number;
  /** The web console's port; 0: a free one. */
  consolePort: number;
  firestorePort: number;
  pubsubPort: number;
  /** Emulators to use instead of the embedded ones. */
  firestoreHost: string | undefined;
  pubsubHost: string | undefined;
  scanner: ScannerOptions;
}

/** A flag with a value that cannot be used; the message names it. */
export class StartUsageError extends Error {
  override name = "StartUsageError";
}

const MAX_INSTANCES = 32;

export const USAGE = `Usage: npm start -- [flags]

Runs the whole pipeline on this machine: the Firestore and Pub/Sub emulators (embedded, or the ones
FIRESTORE_EMULATOR_HOST and PUBSUB_EMULATOR_HOST name), the built ingestScan under functions-framework fed by
push subscription ${DEFAULT_NAMES.subscription}, and the scanner. Shows what happens every second; Ctrl-C stops with a summary.

  --emulators E        embedded (default: the project's own, no Java) or google (Google's own emulators,
                       from the Google Cloud CLI or the Firebase CLI; see npm run emulators)
  --instances N        function servers, each with its own push subscription (${DEFAULT_NAMES.subscription}, ${DEFAULT_NAMES.subscription}-2, ...),
                       so every message is processed N times (default 1, at most ${MAX_INSTANCES})
  --function-port N    port of function server 1, the others follow (default ${DEFAULT_PORTS.function}; 0: free ports);
                       the read API (scansApi) listens one below it
  --console-port N     port of the web console: services, rejects, the live pipeline (default ${DEFAULT_PORTS.console}; 0: a free one)
  --firestore-port N   port of the Firestore emulator it starts (default ${DEFAULT_PORTS.firestore}; 0: a free one)
  --pubsub-port N      port of the Pub/Sub emulator it starts (default ${DEFAULT_PORTS.pubsub}; 0: a free one)

Scanner flags (default: one scan a second until Ctrl-C):
${SCANNER_USAGE.split("\n")
  .filter((line) => line.startsWith("  --") && !line.startsWith("  --help"))
  .join("\n")}
  --help               this text
`;

type OwnFlag =
  "emulators" | "instances" | "function-port" | "console-port" | "firestore-port" | "pubsub-port";
const OWN_FLAGS: readonly OwnFlag[] = [
  "emulators",
  "instances",
  "function-port",
  "console-port",
  "firestore-port",
  "pubsub-port",
];

/** Reads the command line and environment; "help" when --help was asked for. */
export function parseStartArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): StartOptions | "help" {
  const own = new Map<OwnFlag, string>();
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    const flag = OWN_FLAGS.find((name) => argument === `--${name}` || argument.startsWith(`--${name}=`));
    if (flag === undefined) {
      rest.push(argument);
    } else if (argument.includes("=")) {
      own.set(flag, argument.slice(argument.indexOf("=") + 1));
    } else {
      const value = argv[++index];
      if (value === undefined || value.startsWith("--"))
        throw new StartUsageError(`--${flag} needs a value, e.g. --${flag} 2`);
      own.set(flag, value);
    }
  }
  let scanner: ScannerOptions | "help";
  try {
    scanner = parseOptions(rest, env);
  } catch (error) {
    if (error instanceof OptionsError) throw new StartUsageError(error.message);
    throw error;
  }
  if (scanner === "help") return "help";

  const whole = (flag: OwnFlag, low: number, high: number, fallback: number): number => {
    const text = own.get(flag);
    if (text === undefined) return fallback;
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= low && value <= high))
      throw new StartUsageError(`--${flag}: expected a whole number from ${low} to ${high}, got "${text}"`);
    return value;
  };
  const firestoreHost = nonEmpty(env.FIRESTORE_EMULATOR_HOST);
  const pubsubHost = nonEmpty(env.PUBSUB_EMULATOR_HOST);
  const emulators = own.get("emulators") ?? "embedded";
  if (emulators !== "embedded" && emulators !== "google")
    throw new StartUsageError(`--emulators: expected embedded or google, got "${emulators}"`);
  if (emulators === "google" && (firestoreHost !== undefined || pubsubHost !== undefined))
    throw new StartUsageError(
      "--emulators google starts Google's emulators, but FIRESTORE_EMULATOR_HOST or PUBSUB_EMULATOR_HOST " +
        "already names one: unset them, or drop the flag to use the emulators they name",
    );
  const options: StartOptions = {
    emulators,
    instances: whole("instances", 1, MAX_INSTANCES, 1),
    functionPort: whole("function-port", 0, 65535, DEFAULT_PORTS.function),
    consolePort: whole("console-port", 0, 65535, DEFAULT_PORTS.console),
    firestorePort: whole("firestore-port", 0, 65535, DEFAULT_PORTS.firestore),
    pubsubPort: whole("pubsub-port", 0, 65535, DEFAULT_PORTS.pubsub),
    firestoreHost,
    pubsubHost,
    scanner,
  };
  if (options.functionPort !== 0 && options.functionPort + options.instances - 1 > 65535)
    throw new StartUsageError(
      `--function-port: ${options.instances} servers from ${options.functionPort} pass 65535`,
    );
  return options;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === "" ? undefined : text;
}

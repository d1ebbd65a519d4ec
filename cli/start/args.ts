// `npm start` flags: its own (emulators, instances, ports, --json) and the scanner's, read by one strict parseArgs; the
// scanner's values then go to the scanner's own parseOptions, which checks them and reads SCANNER_* variables.
import { parseArgs } from "node:util";
import { DEFAULT_NAMES, DEFAULT_PORTS } from "@scan-ingest/pipeline/defaults";
import {
  OptionsError,
  parseOptions,
  SCANNER_OPTIONS,
  USAGE as SCANNER_USAGE,
  type ScannerOptions,
} from "@scan-ingest/scanner";

export interface StartOptions {
  /** Which emulators to start when no *_EMULATOR_HOST names one: the embedded ones or Google's. */
  emulators: "embedded" | "google";
  /** Function servers: sharing one push subscription, or each with its own in a duplicate storm. */
  instances: number;
  /** --duplicate-storm N: every message processed by every one of the N servers. */
  duplicateStorm: boolean;
  /** The push endpoint's port, the function servers following it; 0: free ones. */
  functionPort: number;
  /** The web console's port; 0: a free one. */
  consolePort: number;
  firestorePort: number;
  pubsubPort: number;
  /** Emulators to use instead of the embedded ones. */
  firestoreHost: string | undefined;
  pubsubHost: string | undefined;
  /** --json: the summary as one JSON object on stdout; everything else on stderr. */
  json: boolean;
  scanner: ScannerOptions;
}

/** A flag with a value that cannot be used; the message names it. */
export class StartUsageError extends Error {
  override name = "StartUsageError";
}

const MAX_INSTANCES = 32;

/** npm start's own flags, each with a value; checked by ownFlagProblem. */
const OWN_OPTIONS = {
  emulators: { type: "string", default: "embedded" },
  // No default: given with --duplicate-storm, it is refused.
  instances: { type: "string" },
  "duplicate-storm": { type: "string" },
  "function-port": { type: "string", default: String(DEFAULT_PORTS.function) },
  "console-port": { type: "string", default: String(DEFAULT_PORTS.console) },
  "firestore-port": { type: "string", default: String(DEFAULT_PORTS.firestore) },
  "pubsub-port": { type: "string", default: String(DEFAULT_PORTS.pubsub) },
} as const;
type OwnFlag = keyof typeof OWN_OPTIONS;
const OWN_FLAGS = Object.keys(OWN_OPTIONS) as OwnFlag[];

/** The scanner's flags as its usage lists them, --help aside: npm start's usage shows them too. */
const SCANNER_FLAG_LINES = SCANNER_USAGE.split("\n").filter(
  (line) => line.startsWith("  --") && !line.startsWith("  --help"),
);
export const USAGE = `Usage: npm start -- [flags]

Runs the whole pipeline on this machine: the Firestore and Pub/Sub emulators (embedded, or the ones
FIRESTORE_EMULATOR_HOST and PUBSUB_EMULATOR_HOST name), the built ingestScan under functions-framework fed by
push subscription ${DEFAULT_NAMES.subscription}, and the scanner. Shows what happens every second; Ctrl-C stops with a summary.

  --emulators E        embedded (default: the project's own, no Java) or google (Google's own emulators,
                       from the Google Cloud CLI or the Firebase CLI; see npm run emulators:google)
  --instances N        function instances sharing ${DEFAULT_NAMES.subscription} behind one push endpoint, as Cloud Run
                       scales out: each message processed once (default 1, at most ${MAX_INSTANCES})
  --duplicate-storm N  instead, N function servers each with its own push subscription (${DEFAULT_NAMES.subscription},
                       ${DEFAULT_NAMES.subscription}-2, ...): every message processed N times, for contention
  --function-port N    port of the push endpoint (default ${DEFAULT_PORTS.function}; 0: free ports); the function servers
                       follow it, and the read API (scansApi) listens one below it
  --json               print the final summary as one JSON object on stdout, everything else on stderr
  --console-port N     port of the web console: services, rejects, the live pipeline (default ${DEFAULT_PORTS.console}; 0: a free one)
  --firestore-port N   port of the Firestore emulator it starts (default ${DEFAULT_PORTS.firestore}; 0: a free one)
  --pubsub-port N      port of the Pub/Sub emulator it starts (default ${DEFAULT_PORTS.pubsub}; 0: a free one)

Scanner flags (default: one scan a second until Ctrl-C):
${SCANNER_FLAG_LINES.join("\n")}
  --help               this text
`;

/** Reads the command line and environment; "help" when --help was asked for. */
export function parseStartArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): StartOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...SCANNER_OPTIONS,
        ...OWN_OPTIONS,
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw usageError(error, argv);
  }
  if (values.help === true) return "help";

  // The scanner's flags as --name=value, so a value that starts with a dash stays a value.
  const scannerArgs = Object.keys(SCANNER_OPTIONS).flatMap((name) => {
    const value = values[name];
    if (value === undefined || value === false) return [];
    return [value === true ? `--${name}` : `--${name}=${value}`];
  });
  let scanner: ScannerOptions | "help";
  try {
    scanner = parseOptions(scannerArgs, env);
  } catch (error) {
    if (error instanceof OptionsError) throw new StartUsageError(error.message);
    throw error;
  }
  if (scanner === "help") return "help";

  /** The flag's text (its default when not given), once ownFlagProblem finds nothing wrong with it. */
  const own = (flag: OwnFlag, fallback = ""): string => {
    const text = (values[flag] as string | undefined) ?? fallback;
    const problem = ownFlagProblem(flag, text);
    if (problem !== undefined) throw new StartUsageError(problem);
    return text;
  };
  const firestoreHost = nonEmpty(env.FIRESTORE_EMULATOR_HOST);
  const pubsubHost = nonEmpty(env.PUBSUB_EMULATOR_HOST);
  const emulators = own("emulators") as StartOptions["emulators"];
  if (emulators === "google" && (firestoreHost !== undefined || pubsubHost !== undefined))
    throw new StartUsageError(
      "--emulators google starts Google's emulators, but FIRESTORE_EMULATOR_HOST or PUBSUB_EMULATOR_HOST " +
        "already names one: unset them, or drop the flag to use the emulators they name",
    );
  if (values.instances !== undefined && values["duplicate-storm"] !== undefined)
    throw new StartUsageError(
      "--instances and --duplicate-storm both give the number of function servers: --instances N to share " +
        "one subscription, --duplicate-storm N for one subscription each",
    );
  const duplicateStorm = values["duplicate-storm"] !== undefined;
  const options: StartOptions = {
    emulators,
    instances: Number(duplicateStorm ? own("duplicate-storm") : own("instances", "1")),
    duplicateStorm,
    functionPort: Number(own("function-port")),
    consolePort: Number(own("console-port")),
    firestorePort: Number(own("firestore-port")),
    pubsubPort: Number(own("pubsub-port")),
    firestoreHost,
    pubsubHost,
    json: values.json === true,
    scanner,
  };
  // Shared instances behind a front take one port more than their number.
  const fronted = !duplicateStorm && options.instances > 1;
  if (options.functionPort !== 0 && options.functionPort + options.instances - (fronted ? 0 : 1) > 65535)
    throw new StartUsageError(
      `--function-port: ${fronted ? "the front and " : ""}${options.instances} servers from ` +
        `${options.functionPort} pass 65535`,
    );
  return options;
}

/** What is wrong with the text given to one of npm start's own flags, or undefined when nothing is. */
function ownFlagProblem(flag: OwnFlag, text: string): string | undefined {
  if (flag === "emulators")
    return text === "embedded" || text === "google"
      ? undefined
      : `--emulators: expected embedded or google, got "${text}"`;
  // Ports: 0 asks for a free one.
  const [low, high] = flag === "instances" || flag === "duplicate-storm" ? [1, MAX_INSTANCES] : [0, 65535];
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return value >= low && value <= high
    ? undefined
    : `--${flag}: expected a whole number from ${low} to ${high}, got "${text}"`;
}

/**
 * parseArgs' error, as npm start words it for its own flags: one given no value (last, or followed by another
 * flag) says so with an example; one followed by "-1" or the like (parseArgs takes that for a flag) says what
 * the value must be. Anything else keeps parseArgs' message, which names the flag or argument.
 */
function usageError(error: unknown, argv: readonly string[]): StartUsageError {
  if ((error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const end = argv.includes("--") ? argv.indexOf("--") : argv.length;
    for (let index = 0; index < end; index++) {
      const flag = OWN_FLAGS.find((name) => argv[index] === `--${name}`);
      const value = argv[index + 1];
      if (flag === undefined) continue;
      if (value === undefined || value.startsWith("--")) {
        const example = flag === "emulators" ? "google" : "2";
        return new StartUsageError(`--${flag} needs a value, e.g. --${flag} ${example}`);
      }
      const problem = value.startsWith("-") ? ownFlagProblem(flag, value) : undefined;
      if (problem !== undefined) return new StartUsageError(problem);
    }
  }
  return new StartUsageError((error as Error).message);
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === "" ? undefined : text;
}

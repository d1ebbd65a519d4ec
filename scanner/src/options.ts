import { parseArgs } from "node:util";
import { DEFAULT_EMULATOR_PORTS, DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";
import { deploySettings } from "@scan-ingest/functions/deploy-settings";
import { servicePattern } from "@scan-ingest/functions/scan";
import { GO_SCANNER_KEYSPACE, MAX_IPS, type Keyspace } from "./generate.ts";

/** Everything one scanner run needs, already validated. */
export type ScannerOptions = {
  project: string;
  topic: string;
  /** Messages per second. */
  rate: number;
  /** Stop after this many messages (unbounded when absent). */
  count?: number;
  /** Stop after this many seconds (unbounded when absent). */
  duration?: number;
  keyspace: Keyspace;
  /** Same seed, same sequence of scans (the timestamps are the clock's). Fresh when absent. */
  seed?: string;
  /** JSON-lines file that gets `{"messageId","scan"}` once each publish resolves. */
  record?: string;
  /** host:port of a Pub/Sub emulator; absent means Google's Pub/Sub through Application Default Credentials. */
  emulatorHost?: string;
};

/** A flag or variable with a value that cannot be used; the message names it. */
export class OptionsError extends Error {
  override name = "OptionsError";
}

export type Environment = Readonly<Record<string, string | undefined>>;

export { DEFAULT_PROJECT };
/** The topic ingestScan is triggered by. */
export const DEFAULT_TOPIC = deploySettings.topic;
/** Where `firebase emulators:start` (firebase.json) and npm start serve Pub/Sub. */
export const DEFAULT_EMULATOR_HOST = `127.0.0.1:${DEFAULT_EMULATOR_PORTS.pubsub}`;

/** Every flag, once: its value's name and its help line, from which parsing and the usage text come. */
const FLAGS = {
  project: ["ID", `project (default: GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT, else ${DEFAULT_PROJECT})`],
  topic: ["NAME", `topic, created if missing (default ${DEFAULT_TOPIC})`],
  rate: ["N", "messages per second (default 1)"],
  count: ["N", "stop after N messages"],
  duration: ["S", "stop after S seconds"],
  ips: ["N", "addresses drawn from the first N from 1.1.1.0 (default 255: 1.1.1.0..1.1.1.254)"],
  ports: ["N", "ports drawn from 0..N-1 (default 65535)"],
  services: ["A,B", "services drawn from this list (default HTTP,SSH,DNS)"],
  seed: ["TEXT", "same seed, same scans (timestamps are the clock's); printed when not given"],
  record: ["FILE", 'write {"messageId","scan"} as a JSON line per published message (FILE is replaced)'],
} as const;
type Flag = keyof typeof FLAGS;

const flagLines = Object.entries({ ...FLAGS, help: ["", "this text"] }).map(
  ([flag, [value, help]]) => `  ${`--${flag} ${value}`.padEnd(17)}${help}`,
);

export const USAGE = `Usage: scanner [flags]    (each flag also from the environment, e.g. --rate = SCANNER_RATE)

Publishes one JSON scan per message to Pub/Sub, like the original Go scanner.

${flagLines.join("\n")}

Pub/Sub: PUBSUB_EMULATOR_HOST when set; for a demo-* project without it, ${DEFAULT_EMULATOR_HOST};
otherwise Google's Pub/Sub with Application Default Credentials.
`;

/** The scanner's flags for node:util parseArgs, --help aside: `npm start` takes them too and passes them on. */
export const SCANNER_OPTIONS = Object.fromEntries(
  Object.keys(FLAGS).map((flag) => [flag, { type: "string" as const }]),
) as Readonly<Record<Flag, { type: "string" }>>;

/** Reads flags first, then SCANNER_* variables, then defaults; `help` when --help was asked for. */
export function parseOptions(argv: readonly string[], env: Environment): ScannerOptions | "help" {
  let values: Partial<Record<Flag | "help", string | boolean>>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { ...SCANNER_OPTIONS, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new OptionsError((error as Error).message);
  }
  if (values.help === true) return "help";

  /** The raw text of a setting and the name to blame when it is wrong. */
  const lookup = (flag: Flag): { text: string; source: string } | undefined => {
    const value = values[flag];
    if (typeof value === "string") return { text: value, source: `--${flag}` };
    const variable = `SCANNER_${flag.toUpperCase()}`;
    const text = env[variable];
    return text === undefined || text === "" ? undefined : { text, source: variable };
  };
  const number = (flag: Flag, rule: (n: number) => boolean, expected: string): number | undefined => {
    const setting = lookup(flag);
    if (setting === undefined) return undefined;
    const value = setting.text.trim() === "" ? Number.NaN : Number(setting.text);
    if (!rule(value))
      throw new OptionsError(`${setting.source}: expected ${expected}, got "${setting.text}"`);
    return value;
  };
  const integerIn = (low: number, high: number) => (n: number) =>
    Number.isInteger(n) && n >= low && n <= high;
  const positive = (n: number) => Number.isFinite(n) && n > 0;

  const project =
    lookup("project")?.text ??
    nonEmpty(env.GOOGLE_CLOUD_PROJECT) ??
    nonEmpty(env.GCLOUD_PROJECT) ??
    DEFAULT_PROJECT;
  const emulatorHost =
    nonEmpty(env.PUBSUB_EMULATOR_HOST) ?? (project.startsWith("demo-") ? DEFAULT_EMULATOR_HOST : undefined);
  const options: ScannerOptions = {
    project,
    topic: lookup("topic")?.text ?? DEFAULT_TOPIC,
    rate: number("rate", positive, "a number of messages per second above 0") ?? 1,
    keyspace: {
      ips: number("ips", integerIn(1, MAX_IPS), `an integer from 1 to ${MAX_IPS}`) ?? GO_SCANNER_KEYSPACE.ips,
      ports: number("ports", integerIn(1, 65536), "an integer from 1 to 65536") ?? GO_SCANNER_KEYSPACE.ports,
      services: parseServices(lookup("services")) ?? GO_SCANNER_KEYSPACE.services,
    },
  };
  const count = number("count", integerIn(1, Number.MAX_SAFE_INTEGER), "a whole number of messages above 0");
  const duration = number("duration", positive, "a number of seconds above 0");
  const seed = lookup("seed")?.text;
  const record = lookup("record")?.text;
  if (count !== undefined) options.count = count;
  if (duration !== undefined) options.duration = duration;
  if (seed !== undefined) options.seed = seed;
  if (record !== undefined) options.record = record;
  if (emulatorHost !== undefined) options.emulatorHost = emulatorHost;
  return options;
}

function parseServices(setting: { text: string; source: string } | undefined): string[] | undefined {
  if (setting === undefined) return undefined;
  const services = setting.text.split(",").map((service) => service.trim());
  const bad = services.find((service) => !servicePattern.test(service));
  if (bad !== undefined) {
    throw new OptionsError(
      `${setting.source}: "${bad}" is not a service name (letters, digits, _ . + -, up to 64 characters)`,
    );
  }
  return services;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === "" ? undefined : text;
}

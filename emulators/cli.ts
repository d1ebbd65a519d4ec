// `npm run emulators:embedded`: both embedded emulators in one process, for tests and tools on a laptop
// without Java. Prints the environment to point clients at them, then a line containing "ready".
// A development tool, never a production path.
import { enableCompileCache } from "node:module";
import { parseArgs } from "node:util";
import type { TtlOptions } from "@scan-ingest/emulator-firestore/ttl";
import {
  DEFAULT_EMULATOR_PORTS as DEFAULT_PORTS,
  DEFAULT_PROJECT,
} from "@scan-ingest/emulator-shared/defaults";
import {
  announceReady,
  readCommandLine,
  stopOnSignals,
  UsageError,
} from "@scan-ingest/emulator-shared/cli-output";

// Node's compile cache before anything of the emulators loads: a static import would be type-stripped and
// compiled at every start, before this line runs.
enableCompileCache();
const [{ DEFAULT_TTL_SWEEP_MS, readTtlPolicies }, { DEFAULT_KEEP_VERSIONS_SECONDS }] = await Promise.all([
  import("@scan-ingest/emulator-firestore/ttl"),
  import("@scan-ingest/emulator-firestore/store"),
]);

const usage = `Usage: npm run emulators:embedded -- [flags]

Starts the embedded Firestore and Pub/Sub emulators (development tools; see docs/parity.md for what they
do not implement) and prints the environment variables that point clients at them.

  --firestore-port N              Firestore port (default ${DEFAULT_PORTS.firestore}; 0 picks a free one)
  --pubsub-port N                 Pub/Sub port (default ${DEFAULT_PORTS.pubsub}; 0 picks a free one)
  --host H                        address to listen on (default 127.0.0.1)
  --project ID                    the only project Firestore accepts (default: any)
  --data-dir DIR                  Firestore persistence: load at start, save at stop
  --ttl-from FILE                 Firestore TTL policies from a Firebase index file's fieldOverrides with
                                  "ttl": true (e.g. firestore.indexes.json; default: no TTL deletion)
  --ttl-sweep-ms N                how often expired documents are deleted (default ${DEFAULT_TTL_SWEEP_MS})
  --keep-versions-seconds N       how long a replaced document version stays readable at a past read_time
                                  (default ${DEFAULT_KEEP_VERSIONS_SECONDS}; Firestore keeps an hour; older reads are refused)
  --firestore-fail-rate R         fraction of Firestore RPCs answered UNAVAILABLE (0..1, default 0)
  --firestore-lost-reply-rate R   fraction of commits applied whose reply is lost (0..1, default 0)
  --pubsub-duplicate-rate R       fraction of deliveries made twice (0..1, default 0)
  --pubsub-delay-ms N             random delay up to N ms before each delivery, which reorders (default 0)
  -h, --help                      this text

Ctrl-C stops both (and saves Firestore's data when --data-dir is given).`;

interface EmulatorsOptions {
  firestorePort: number;
  pubsubPort: number;
  host: string;
  projectId: string | undefined;
  dataDir: string | undefined;
  ttlFrom: string | undefined;
  ttlSweepMs: number;
  keepVersionsSeconds: number;
  firestoreFailRate: number;
  firestoreLostReplyRate: number;
  pubsubDuplicateRate: number;
  pubsubDelayMs: number;
}

/** Reads the command line; a bad value throws UsageError naming the flag. */
function parseEmulatorsArgs(args: readonly string[]): EmulatorsOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      options: {
        "firestore-port": { type: "string", default: String(DEFAULT_PORTS.firestore) },
        "pubsub-port": { type: "string", default: String(DEFAULT_PORTS.pubsub) },
        host: { type: "string", default: "127.0.0.1" },
        project: { type: "string" },
        "data-dir": { type: "string" },
        "ttl-from": { type: "string" },
        "ttl-sweep-ms": { type: "string", default: String(DEFAULT_TTL_SWEEP_MS) },
        "keep-versions-seconds": { type: "string", default: String(DEFAULT_KEEP_VERSIONS_SECONDS) },
        "firestore-fail-rate": { type: "string", default: "0" },
        "firestore-lost-reply-rate": { type: "string", default: "0" },
        "pubsub-duplicate-rate": { type: "string", default: "0" },
        "pubsub-delay-ms": { type: "string", default: "0" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return "help";
  return {
    firestorePort: port("--firestore-port", values["firestore-port"]),
    pubsubPort: port("--pubsub-port", values["pubsub-port"]),
    host: values.host,
    projectId: values.project,
    dataDir: values["data-dir"],
    ttlFrom: values["ttl-from"],
    ttlSweepMs: positive("--ttl-sweep-ms", values["ttl-sweep-ms"]),
    keepVersionsSeconds: positive("--keep-versions-seconds", values["keep-versions-seconds"]),
    firestoreFailRate: rate("--firestore-fail-rate", values["firestore-fail-rate"]),
    firestoreLostReplyRate: rate("--firestore-lost-reply-rate", values["firestore-lost-reply-rate"]),
    pubsubDuplicateRate: rate("--pubsub-duplicate-rate", values["pubsub-duplicate-rate"]),
    pubsubDelayMs: wholeNumber("--pubsub-delay-ms", values["pubsub-delay-ms"], 600_000),
  };
}

function port(flag: string, text: string): number {
  return wholeNumber(flag, text, 65535);
}

function positive(flag: string, text: string): number {
  const value = wholeNumber(flag, text, 86_400_000);
  if (value === 0) throw new UsageError(`${flag} must be above 0`);
  return value;
}

function wholeNumber(flag: string, text: string, maximum: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value <= maximum))
    throw new UsageError(`${flag} must be a whole number 0..${maximum}, got "${text}"`);
  return value;
}

function rate(flag: string, text: string): number {
  const value = /^(0|1|0?\.\d+|1\.0*)$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 1)) throw new UsageError(`${flag} must be a fraction 0..1, got "${text}"`);
  return value;
}

async function main(): Promise<void> {
  const options = readCommandLine(parseEmulatorsArgs, usage);
  if (options === undefined) return;
  let ttl: TtlOptions | undefined;
  try {
    ttl = options.ttlFrom
      ? { policies: await readTtlPolicies(options.ttlFrom), sweepIntervalMs: options.ttlSweepMs }
      : undefined;
  } catch (error) {
    process.stderr.write(`emulators: --ttl-from: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  // Loaded in parallel: most of the start-up time is reading each package's protos.
  const [firestoreModule, pubsubModule] = await Promise.all([
    import("@scan-ingest/emulator-firestore"),
    import("@scan-ingest/emulator-pubsub"),
  ]);
  const started = await Promise.allSettled([
    firestoreModule.start({
      port: options.firestorePort,
      host: options.host,
      projectId: options.projectId,
      dataDir: options.dataDir,
      ttl,
      keepVersionsSeconds: options.keepVersionsSeconds,
    }),
    pubsubModule.start({ port: options.pubsubPort, host: options.host }),
  ]);
  const [firestoreResult, pubsubResult] = started;
  if (firestoreResult.status === "rejected" || pubsubResult.status === "rejected") {
    for (const result of started) if (result.status === "fulfilled") await result.value.stop();
    const failure = (result: PromiseSettledResult<unknown>, name: string, flag: string, port: number) =>
      result.status === "rejected"
        ? `${name} could not listen on ${options.host}:${port} (${(result.reason as Error).message}); ` +
          `free the port or choose another with ${flag}`
        : undefined;
    const messages = [
      failure(firestoreResult, "Firestore", "--firestore-port", options.firestorePort),
      failure(pubsubResult, "Pub/Sub", "--pubsub-port", options.pubsubPort),
    ].filter(Boolean);
    process.stderr.write(messages.map((message) => `emulators: ${message}\n`).join(""));
    process.exitCode = 1;
    return;
  }
  const firestore = firestoreResult.value;
  const pubsub = pubsubResult.value;
  firestore.faults.unavailableRate = options.firestoreFailRate;
  firestore.faults.lostReplyRate = options.firestoreLostReplyRate;
  pubsub.faults.duplicateRate = options.pubsubDuplicateRate;
  pubsub.faults.maxDelayMs = options.pubsubDelayMs;

  announceReady(firestore.host, pubsub.host, options.projectId ?? DEFAULT_PROJECT);

  stopOnSignals(async () => {
    await Promise.all([firestore.stop(), pubsub.stop()]);
  });
}

await main();

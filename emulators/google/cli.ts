// `npm run emulators:google`: Google's own Firestore and Pub/Sub emulators, from the Google Cloud CLI's components or
// the Firebase CLI's downloads, on the same ports and with the same output as `npm run emulators:embedded`.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  announceReady,
  readCommandLine,
  stopOnSignals,
  UsageError,
} from "@scan-ingest/emulator-shared/cli-output";
import { DEFAULT_EMULATOR_PORTS, DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";
import { GoogleEmulatorError, startGoogleEmulators } from "./src/index.ts";

const DEFAULT_RULES = fileURLToPath(new URL("../../firestore.rules", import.meta.url));

const usage = `Usage: npm run emulators:google -- [flags]

Starts Google's Firestore and Pub/Sub emulators — the Google Cloud CLI's components (Java 11 or later), else
the Firebase CLI's downloaded emulators (Java 21) — and prints the environment variables that point clients
at them. Nothing is downloaded. Without either, it says what to install; \`npm run emulators:embedded\` runs
the embedded ones instead.

  --firestore-port N   Firestore port (default ${DEFAULT_EMULATOR_PORTS.firestore}; 0 picks a free one)
  --pubsub-port N      Pub/Sub port (default ${DEFAULT_EMULATOR_PORTS.pubsub}; 0 picks a free one)
  --host H             address to listen on (default 127.0.0.1)
  --project ID         the project printed in GOOGLE_CLOUD_PROJECT (default ${DEFAULT_PROJECT})
  --rules FILE         Firestore security rules the emulator evaluates for client SDKs (default firestore.rules)
  --source S           gcloud or firebase: use only that installation
  -h, --help           this text

Ctrl-C stops both.`;

function parse(args: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        "firestore-port": { type: "string", default: String(DEFAULT_EMULATOR_PORTS.firestore) },
        "pubsub-port": { type: "string", default: String(DEFAULT_EMULATOR_PORTS.pubsub) },
        host: { type: "string", default: "127.0.0.1" },
        project: { type: "string", default: DEFAULT_PROJECT },
        rules: { type: "string", default: DEFAULT_RULES },
        source: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help" as const;
  const port = (flag: string, text: string) => {
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(value <= 65535)) throw new UsageError(`${flag} must be a whole number 0..65535, got "${text}"`);
    return value;
  };
  const source = values.source;
  if (source !== undefined && source !== "gcloud" && source !== "firebase")
    throw new UsageError(`--source must be gcloud or firebase, got "${source}"`);
  const prefer: "gcloud" | "firebase" | undefined = source;
  return {
    firestorePort: port("--firestore-port", values["firestore-port"]),
    pubsubPort: port("--pubsub-port", values["pubsub-port"]),
    host: values.host,
    project: values.project,
    rules: values.rules,
    prefer,
  };
}

async function main(): Promise<void> {
  const options = readCommandLine(parse, usage);
  if (options === undefined) return;
  let emulators;
  try {
    emulators = await startGoogleEmulators({
      host: options.host,
      firestorePort: options.firestorePort,
      pubsubPort: options.pubsubPort,
      rules: options.rules,
      ...(options.prefer && { prefer: options.prefer }),
    });
  } catch (error) {
    if (!(error instanceof GoogleEmulatorError)) throw error;
    process.stderr.write(`emulators: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  const { install, firestore, pubsub } = emulators;
  const from = install.source === "gcloud" ? "the Google Cloud CLI" : "the Firebase CLI";
  process.stderr.write(
    `emulators: Google's emulators from ${from} (${install.root}, Java ${install.javaMajor}): ` +
      `Firestore ${install.firestore.version}, Pub/Sub ${install.pubsub.version}\n`,
  );
  announceReady(firestore.host, pubsub.host, options.project);
  stopOnSignals(async () => {
    await emulators.stop();
  });
}

await main();

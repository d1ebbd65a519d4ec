// `npm run emulators:firebase`: the Firebase CLI's own emulator suite for this repository (firebase.json), whose
// Functions emulator serves ingestScan (functions/src/firebase.ts) on scan-topic. By default the embedded
// emulators stand in for Google's, so no Java is needed; `--java` runs Google's, as `npx firebase
// emulators:start` does. docs/firebase.md says what each gives and where it differs from production.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stop as stopEsbuild } from "esbuild";
import { findJava } from "@scan-ingest/emulator-google";
import { isPortFree } from "@scan-ingest/emulator-shared/ports";
import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";
import { buildFirebaseFunction, firebaseDistDirectory } from "@scan-ingest/functions/build";

const usage = `Usage: npm run emulators:firebase -- [--java] [--exec "CMD"]

Runs the Firebase CLI's emulator suite from firebase.json: the Functions emulator serves ingestScan, which
stores every scan published to scan-topic in Firestore. Ports are firebase.json's.

  (default)     the embedded Pub/Sub and Firestore emulators in place of Google's: no Java needed
  --java        Google's emulators, as \`npx firebase emulators:start\` runs them (Java 21 or later, and the
                Firebase CLI's emulator downloads or FIRESTORE_/PUBSUB_EMULATOR_BINARY_PATH)
  --exec CMD    run CMD under \`firebase emulators:exec\` with FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST and
                GOOGLE_CLOUD_PROJECT set, then stop; exits with CMD's status
  -h, --help    this text`;

const root = new URL("../../", import.meta.url).pathname;
const project = DEFAULT_PROJECT;
/** Java the Firebase CLI accepts (firebase-tools' MIN_SUPPORTED_JAVA_MAJOR_VERSION). */
const firebaseMinimumJava = 21;
const pubsubBinary = new URL("./pubsub-binary.ts", import.meta.url).pathname;

type Address = { host: string; port: number };
const { emulators, firestore: firestoreConfig } = JSON.parse(
  readFileSync(join(root, "firebase.json"), "utf8"),
) as {
  emulators: { firestore: Address; pubsub: Address };
  firestore: { indexes: string };
};
const firestoreHost = `${emulators.firestore.host}:${emulators.firestore.port}`;
const pubsubHost = `${emulators.pubsub.host}:${emulators.pubsub.port}`;

const log = (line: string) => process.stderr.write(`emulators:firebase: ${line}\n`);

/** Where the Firebase CLI keeps (or would download) an emulator: firebase-tools' own answer. */
function firebaseDownload(name: "ui" | "firestore" | "pubsub"): string {
  const downloads = createRequire(import.meta.url)(
    "firebase-tools/lib/emulator/downloadableEmulators.js",
  ) as {
    getDownloadDetails(name: string): { downloadPath: string };
  };
  return downloads.getDownloadDetails(name).downloadPath;
}

/**
 * The config file to start from: firebase.json, or a copy with the Emulator UI off when the CLI has not
 * downloaded it, since `emulators:start` would otherwise try to and fail offline. The copy must sit in the
 * repository root: the CLI takes a config file's directory as the project's, and refuses sources outside it.
 */
function configWithoutMissingUi(): string[] {
  const ui = firebaseDownload("ui");
  if (existsSync(ui)) return [];
  const config = JSON.parse(readFileSync(join(root, "firebase.json"), "utf8")) as {
    emulators: { ui: { enabled: boolean } };
  };
  config.emulators.ui.enabled = false;
  const path = join(root, ".firebase.no-ui.json");
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  log(`the Emulator UI is not downloaded (${ui}): started without it (npx firebase setup:emulators:ui)`);
  return ["--config", path];
}

/** Refuses --java where the Firebase CLI would, saying why and what runs instead. */
async function assertJavaForFirebase(): Promise<void> {
  // The CLI asks the `java` on PATH, whatever JAVA_HOME says.
  const java = await findJava({ PATH: process.env.PATH });
  if (java === undefined || java.major < firebaseMinimumJava) {
    const found = java === undefined ? "no java on PATH" : `${java.path} is Java ${java.major}`;
    throw new Error(
      `--java runs Google's emulators through the Firebase CLI, which needs Java ${firebaseMinimumJava} or later: ` +
        `${found}. Without --java, the embedded emulators need no Java.`,
    );
  }
  for (const name of ["firestore", "pubsub"] as const) {
    const override = process.env[`${name.toUpperCase()}_EMULATOR_BINARY_PATH`];
    if (!override && !existsSync(firebaseDownload(name)))
      log(`the Firebase CLI's ${name} emulator is not downloaded: it will try to download it now`);
  }
}

/** A command line that cannot run: said with the usage, exit status 2. */
class UsageError extends Error {}

function parseCommandLine(args: string[]) {
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        java: { type: "boolean", default: false },
        exec: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.exec !== undefined && values.exec.trim() === "")
      throw new Error("--exec needs a command to run");
    return values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

async function main(): Promise<number> {
  const values = parseCommandLine(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const exec = values.exec;

  if (values.java) await assertJavaForFirebase();
  log(`building ingestScan for the Firebase CLI into ${firebaseDistDirectory}`);
  await buildFirebaseFunction();
  await stopEsbuild();

  const env: NodeJS.ProcessEnv = { ...process.env, GOOGLE_CLOUD_PROJECT: project };
  let firestore: { stop(): Promise<void> } | undefined;
  if (!values.java) {
    // The Firebase CLI starts Pub/Sub from any binary; Firestore it would start only as a Java jar, so the
    // embedded one runs here and the function and CMD find it through FIRESTORE_EMULATOR_HOST.
    const { host, port } = emulators.firestore;
    if (!(await isPortFree(port, host)))
      throw new Error(`${firestoreHost} (Firestore in firebase.json) is in use: stop what holds it`);
    const { start, readTtlPolicies } = await import("@scan-ingest/emulator-firestore");
    // The TTL policies of the index file firebase.json names, as production has them.
    const ttl = { policies: await readTtlPolicies(join(root, firestoreConfig.indexes)) };
    firestore = await start({ host, port, projectId: project, ttl });
    Object.assign(env, { FIRESTORE_EMULATOR_HOST: firestoreHost, PUBSUB_EMULATOR_BINARY_PATH: pubsubBinary });
    log(`set-up: embedded Firestore at ${firestoreHost} and embedded Pub/Sub at ${pubsubHost}, no Java`);
  } else {
    log(
      `set-up: Google's Firestore at ${firestoreHost} and Pub/Sub at ${pubsubHost}, through the Firebase CLI`,
    );
  }

  const only = ["--only", values.java ? "functions,firestore,pubsub" : "functions,pubsub"];
  const args =
    exec === undefined
      ? ["emulators:start", ...only, ...configWithoutMissingUi()]
      : ["emulators:exec", ...only, exec];
  if (exec === undefined)
    log(
      [
        "when the CLI says it is ready, in another terminal:",
        `  PUBSUB_EMULATOR_HOST=${pubsubHost} npm run scanner -- --rate 10`,
        `  FIRESTORE_EMULATOR_HOST=${firestoreHost} npm run scans -- list`,
        "Ctrl-C stops everything.",
      ].join("\n"),
    );
  const firebase = spawn(join(root, "node_modules/.bin/firebase"), [...args, "--project", project], {
    cwd: root,
    env,
    stdio: "inherit",
  });
  // Duplicates within 100 ms are ignored by the CLI, so forwarding the terminal's Ctrl-C again is harmless.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => firebase.kill(signal));
  const [code, signal] = (await once(firebase, "exit")) as [number | null, NodeJS.Signals | null];
  await firestore?.stop();
  return code ?? (signal ? 128 : 1);
}

try {
  process.exitCode = await main();
} catch (error) {
  log((error as Error).message);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}

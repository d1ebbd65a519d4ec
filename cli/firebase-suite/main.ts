// `npm run emulators:firebase`: Google's emulator suite (`firebase emulators:start`: Firestore, Pub/Sub, UI, ports in
// firebase.json) plus the one thing it does not do for this project: run ingestScan. The function is built
// (functions/dist), served by functions-framework, and fed by push subscription scan-sub on scan-topic,
// with dead-letter topic scan-dead-letter after 5 attempts. Needs Java 21 for Google's emulators.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { waitForPort } from "@scan-ingest/emulator-google/ports";
import { distDirectory } from "@scan-ingest/functions/build";
import { emulatorPubSub } from "@scan-ingest/pipeline/clients";
import { DEFAULT_PORTS, DEFAULT_PROJECT } from "@scan-ingest/pipeline/defaults";
import { startFunctionServer } from "@scan-ingest/pipeline/function-server";
import { defaultTopology, ensurePushTopology } from "@scan-ingest/pipeline/topology";

const root = new URL("../../", import.meta.url).pathname;
const project = DEFAULT_PROJECT;
const functionPort = DEFAULT_PORTS.function;
const startupTimeoutMs = 180_000;

type Emulators = { firestore: { port: number }; pubsub: { port: number }; ui: { port: number } };
const emulators = (JSON.parse(readFileSync(join(root, "firebase.json"), "utf8")) as { emulators: Emulators })
  .emulators;
const firestoreHost = `127.0.0.1:${emulators.firestore.port}`;
const pubsubHost = `127.0.0.1:${emulators.pubsub.port}`;

// What started, in order: stopped in reverse.
const stops: Array<() => unknown> = [];
const stopAll = (status: number) => {
  for (const stop of stops.reverse()) stop();
  stops.length = 0;
  process.exitCode = status;
};
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));

const log = (line: string) => process.stderr.write(`emulators: ${line}\n`);
const bin = (name: string) => join(root, "node_modules", ".bin", name);

try {
  log(`starting firebase emulators:start --only firestore,pubsub --project ${project}`);
  const firebase = spawn(
    bin("firebase"),
    ["emulators:start", "--only", "firestore,pubsub", "--project", project],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  stops.push(() => firebase.kill("SIGINT"));
  firebase.on("exit", (code) => {
    log(`firebase exited (${code ?? "signal"})`);
    stopAll(code ?? 0);
  });
  await Promise.all([
    waitForListening(emulators.firestore.port, firebase),
    waitForListening(emulators.pubsub.port, firebase),
  ]);

  log("building the function into functions/dist");
  await promisify(execFile)(process.execPath, [join(root, "functions", "build.ts")], { cwd: root });
  const env = { ...process.env, FIRESTORE_EMULATOR_HOST: firestoreHost, GOOGLE_CLOUD_PROJECT: project };
  const framework = await startFunctionServer({
    source: distDirectory,
    target: "ingestScan",
    port: functionPort,
    env,
    onLine: (text, stream) => (stream === "stdout" ? process.stdout : process.stderr).write(`${text}\n`),
    onExit: (how) => log(`functions-framework exited (${how})`),
  });
  stops.push(() => framework.kill("SIGINT"));

  const pubsub = emulatorPubSub({ host: pubsubHost, projectId: project });
  const warnings = await ensurePushTopology(pubsub, defaultTopology(`http://127.0.0.1:${functionPort}/`));
  await pubsub.close();
  for (const warning of warnings) log(warning);
  log(
    [
      "ready. In another terminal:",
      `  PUBSUB_EMULATOR_HOST=${pubsubHost} npm run scanner -- --rate 10`,
      `  FIRESTORE_EMULATOR_HOST=${firestoreHost} npm run scans -- list`,
      `  Emulator UI: http://127.0.0.1:${emulators.ui.port}   Ctrl-C stops everything.`,
    ].join("\n"),
  );
} catch (error) {
  log(`cannot start: ${(error as Error).message}`);
  stopAll(1);
}

/** Resolves once something accepts connections on the loopback port; rejects if `owner` exits first. */
async function waitForListening(port: number, owner: ChildProcess): Promise<void> {
  const exited = new AbortController();
  const onExit = () => exited.abort();
  owner.once("exit", onExit);
  if (owner.exitCode !== null || owner.signalCode !== null) exited.abort();
  try {
    const listening = await waitForPort("127.0.0.1", port, startupTimeoutMs, {
      everyMs: 500,
      signal: exited.signal,
    });
    if (exited.signal.aborted) throw new Error(`${owner.spawnfile} exited`);
    if (!listening)
      throw new Error(`nothing listens on 127.0.0.1:${port} after ${startupTimeoutMs / 1000} s`);
  } finally {
    owner.off("exit", onExit);
  }
}

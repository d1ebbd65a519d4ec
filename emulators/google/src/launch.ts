// Runs Google's Firestore and Pub/Sub emulators as child processes on chosen ports: ready when the port
// accepts connections (no banner is read), stopped with SIGTERM, then SIGKILL if they linger.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { findGoogleEmulators, type GoogleEmulatorsInstall } from "./find.ts";
import { freePort, isPortFree, waitForPort } from "@scan-ingest/emulator-shared/ports";

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const KEPT_OUTPUT_LINES = 40;

/** One running Google emulator. */
export interface GoogleEmulator {
  kind: "firestore" | "pubsub";
  /** host:port, as FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST want it. */
  host: string;
  port: number;
  pid: number;
  /** Milliseconds from spawning the process to its port accepting connections. */
  readyMs: number;
  /** The last lines it printed, for error messages. */
  recentOutput(): string;
  stop(): Promise<void>;
}

export interface GoogleEmulators {
  install: GoogleEmulatorsInstall;
  firestore: GoogleEmulator;
  pubsub: GoogleEmulator;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Firestore only: a security rules file the emulator evaluates for client SDK requests. */
  rules?: string;
}

/** A start that cannot succeed; the message says what to do. */
export class GoogleEmulatorError extends Error {
  override name = "GoogleEmulatorError";
}

/** Starts Google's Firestore emulator from `install`; resolves once its port accepts connections. */
export function startGoogleFirestore(
  install: GoogleEmulatorsInstall,
  options: StartOptions = {},
): Promise<GoogleEmulator> {
  return launch("firestore", options, (host, port) => ({
    command: install.java,
    args: [
      // As gcloud's own launcher: the emulator's messages are English only.
      "-Duser.language=en",
      "-cp",
      install.firestore.jar,
      "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
      "start",
      `--host=${host}`,
      `--port=${port}`,
      ...(options.rules ? [`--rules=${options.rules}`] : []),
    ],
    env: process.env,
  }));
}

/** Starts Google's Pub/Sub emulator from `install`; resolves once its port accepts connections. */
export function startGooglePubsub(
  install: GoogleEmulatorsInstall,
  options: StartOptions = {},
): Promise<GoogleEmulator> {
  return launch("pubsub", options, (host, port) => ({
    command: install.pubsub.launcher,
    args: [`--host=${host}`, `--port=${port}`],
    // The launcher script finds Java through JAVA_HOME, else PATH; point it at the Java that was checked.
    env: { ...process.env, JAVA_HOME: javaHome(install.java) },
  }));
}

/** Finds Google's emulators and starts both; throws GoogleEmulatorError saying what to install when absent. */
export async function startGoogleEmulators(
  options: {
    host?: string;
    firestorePort?: number;
    pubsubPort?: number;
    rules?: string;
    prefer?: "gcloud" | "firebase";
  } = {},
): Promise<GoogleEmulators> {
  const result = await findGoogleEmulators(process.env, options.prefer);
  if ("missing" in result) throw new GoogleEmulatorError(result.missing);
  const install = result.found;
  const started = await Promise.allSettled([
    startGoogleFirestore(install, {
      host: options.host,
      port: options.firestorePort,
      ...(options.rules && { rules: options.rules }),
    }),
    startGooglePubsub(install, { host: options.host, port: options.pubsubPort }),
  ]);
  const [firestore, pubsub] = started;
  if (firestore.status === "rejected" || pubsub.status === "rejected") {
    for (const each of started) if (each.status === "fulfilled") await each.value.stop();
    const failures = started.flatMap((each) =>
      each.status === "rejected" ? [(each.reason as Error).message] : [],
    );
    throw new GoogleEmulatorError(failures.join("; "));
  }
  return {
    install,
    firestore: firestore.value,
    pubsub: pubsub.value,
    stop: async () => void (await Promise.all([firestore.value.stop(), pubsub.value.stop()])),
  };
}

const NAMES = { firestore: "Firestore", pubsub: "Pub/Sub" } as const;

async function launch(
  kind: "firestore" | "pubsub",
  options: StartOptions,
  command: (host: string, port: number) => { command: string; args: string[]; env: NodeJS.ProcessEnv },
): Promise<GoogleEmulator> {
  const host = options.host ?? "127.0.0.1";
  const name = `Google's ${NAMES[kind]} emulator`;
  const port = options.port ? options.port : await freePort();
  if (options.port && !(await isPortFree(port, host)))
    throw new GoogleEmulatorError(`${name} cannot listen on ${host}:${port}: the port is in use`);
  const spec = command(host, port);
  const began = performance.now();
  const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split("\n").filter(Boolean));
    if (lines.length > KEPT_OUTPUT_LINES) lines.splice(0, lines.length - KEPT_OUTPUT_LINES);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = once(child, "exit").then(([code, signal]) => ({ code, signal }));
  const spawnFailed = once(child, "error").then(([error]) => error as Error);
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    await terminate(child, exited);
  };
  const decided = new AbortController();
  const problem = await Promise.race([
    waitForPort(host, port, READY_TIMEOUT_MS, { signal: decided.signal }).then((ready) =>
      ready ? undefined : `its port ${port} did not accept connections within ${READY_TIMEOUT_MS / 1000} s`,
    ),
    exited.then(
      ({ code, signal }) => `it exited (${signal ?? `code ${code}`}) before its port accepted connections`,
    ),
    spawnFailed.then((error) => `${spec.command} could not be run (${error.message})`),
  ]);
  // Ends the probing when the process exited first.
  decided.abort();
  if (problem !== undefined) {
    await stop();
    const output = lines.slice(-8).join("\n  ");
    throw new GoogleEmulatorError(
      `${name} did not start on ${host}:${port}: ${problem}${output ? `:\n  ${output}` : ""}`,
    );
  }
  return {
    kind,
    host: `${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    pid: child.pid!,
    readyMs: performance.now() - began,
    recentOutput: () => lines.join("\n"),
    stop,
  };
}

async function terminate(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

function javaHome(java: string): string {
  // <home>/bin/java; a bare "java" from PATH resolves the same way through its directory.
  return java.replace(/\/bin\/java$/, "");
}

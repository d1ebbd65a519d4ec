// emulators.readyMs: `npm run emulators:embedded` (emulators/cli.ts), process start -> both ports accept.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { alternate, freePort, median, progress, repositoryRoot, waitForPort } from "./measure.ts";

export interface EmulatorFigures {
  readyMs: number;
  repetitions: number;
}

/** The embedded emulators running in a child process of their own, as `npm run emulators:embedded`. */
export interface EmbeddedCli {
  child: ChildProcess;
  /** host:port of each emulator. */
  firestoreHost: string;
  pubsubHost: string;
  /** Milliseconds from spawning the process to both ports accepting connections. */
  readyMs: number;
  stop(): Promise<void>;
}

/** Starts emulators/cli.ts on two free ports; resolves once both accept connections. */
export async function startEmbeddedCli(): Promise<EmbeddedCli> {
  const [firestorePort, pubsubPort] = [await freePort(), await freePort()];
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ["emulators/cli.ts", "--firestore-port", String(firestorePort), "--pubsub-port", String(pubsubPort)],
    { cwd: repositoryRoot, stdio: ["ignore", "ignore", "pipe"] },
  );
  let errors = "";
  child.stderr!.on("data", (chunk: Buffer) => (errors += chunk));
  const exited = once(child, "exit");
  // Should the bench itself fail, the emulators must not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let ready = false;
  const failed = exited.then(() => {
    if (!ready) throw new Error(`emulators/cli.ts exited before it was ready:\n${errors}`);
  });
  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill();
    await exited;
  };
  try {
    await Promise.race([Promise.all([waitForPort(firestorePort), waitForPort(pubsubPort)]), failed]);
  } catch (error) {
    await stop();
    throw error;
  }
  ready = true;
  return {
    child,
    firestoreHost: `127.0.0.1:${firestorePort}`,
    pubsubHost: `127.0.0.1:${pubsubPort}`,
    readyMs: performance.now() - started,
    stop,
  };
}

/** One start of the CLI on two free ports; resolves with the milliseconds until both accept connections. */
export async function readyOnce(): Promise<number> {
  const cli = await startEmbeddedCli();
  await cli.stop();
  return cli.readyMs;
}

export async function benchEmulators(options: { repetitions: number }): Promise<EmulatorFigures> {
  progress(`emulators: ${options.repetitions} starts of emulators/cli.ts`);
  const times = await alternate(options.repetitions, { cli: readyOnce });
  return { readyMs: median(times.cli), repetitions: options.repetitions };
}

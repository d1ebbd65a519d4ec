// emulators.readyMs: `npm run emulators:embedded` (emulators/cli.ts), process start -> both ports accept.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { alternate, freePort, median, progress, repositoryRoot, waitForPort } from "./measure.ts";

export interface EmulatorFigures {
  readyMs: number;
  repetitions: number;
}

/** One start of the CLI on two free ports; resolves with the milliseconds until both accept connections. */
async function readyOnce(): Promise<number> {
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
  let ready = false;
  const failed = exited.then(() => {
    if (!ready) throw new Error(`emulators/cli.ts exited before it was ready:\n${errors}`);
  });
  try {
    await Promise.race([Promise.all([waitForPort(firestorePort), waitForPort(pubsubPort)]), failed]);
    ready = true;
    return performance.now() - started;
  } finally {
    child.kill();
    await exited;
  }
}

export async function benchEmulators(options: { repetitions: number }): Promise<EmulatorFigures> {
  progress(`emulators: ${options.repetitions} starts of emulators/cli.ts`);
  const times = await alternate(options.repetitions, { cli: readyOnce });
  return { readyMs: median(times.cli), repetitions: options.repetitions };
}

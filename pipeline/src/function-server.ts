// The one way this repository starts functions-framework (npm start's pipeline, the Firebase suite, tests,
// benchmarks): its real CLI on a source, in a child process on a port of its own, ready once the server
// listens, in any NODE_ENV (the "Serving function" banner is printed only outside production, so it is not
// read); killable and restartable on the same port.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, isPortFree } from "@scan-ingest/emulator-shared/ports";
import { PipelineStartError } from "./start-error.ts";

// The functions-framework CLI: main.js beside the package's entry point (its exports do not list it).
const frameworkCli = new URL("./main.js", import.meta.resolve("@google-cloud/functions-framework")).pathname;
// Preloaded into every server. It says through the IPC channel when a server in it listens: Node's own
// trace of listen(), so no banner is needed, and no polling of the port, which slowed every start on a
// busy machine. And it exits when this process goes away, even by SIGKILL, as the channel
// then closes. A data: URL, as a .ts file would first load Node's TypeScript stripper on every start.
const PRELOAD = `data:text/javascript,${encodeURIComponent(`
  import { subscribe } from "node:diagnostics_channel";
  process.on("disconnect", () => process.exit(0));
  subscribe("tracing:net.server.listen:asyncEnd", ({ server }) => {
    const address = server.address();
    if (typeof address === "object" && address !== null) process.send?.({ listening: address.port });
  });`)}`;
const READY_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 5_000;
/** What is kept of a server's output, for error messages: its end, never all of it. */
const TAIL_CHARACTERS = 8_192;

export interface FunctionServerOptions {
  /** What functions-framework loads: a built directory such as functions/dist, or a module. */
  source: string;
  /** Default ingestScan. */
  target?: string;
  /** Default: http for scansApi, else cloudevent (a function registered in code overrides it). */
  signatureType?: "http" | "cloudevent";
  /** 0 or absent: a free port, chosen now and kept across restarts. */
  port?: number;
  /** The server's whole environment. */
  env: NodeJS.ProcessEnv;
  /** Node flags for the server, e.g. --cpu-prof. */
  nodeOptions?: string[];
  /** Names the server in errors; default "function server". */
  name?: string;
  /** Every line it prints. */
  onLine?(text: string, stream: "stdout" | "stderr"): void;
  /** It exited without kill(): how (a signal, or "code N"). */
  onExit?(how: string): void;
}

export interface FunctionServer {
  port: number;
  /** http://127.0.0.1:port */
  url: string;
  /** The server's process id; undefined while it is not running. */
  readonly pid: number | undefined;
  /** The end of what it printed (both streams), for error messages. */
  recentOutput(): string;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL follows a SIGTERM ignored for 5 s. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills the server if it runs, then starts it again on the same port and waits until it listens. */
  restart(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts functions-framework on `options.source` and resolves once its port accepts connections. */
export async function startFunctionServer(options: FunctionServerOptions): Promise<FunctionServer> {
  const port = options.port ? options.port : await freePort();
  const name = options.name ?? "function server";
  const target = options.target ?? "ingestScan";
  const signatureType = options.signatureType ?? (target === "scansApi" ? "http" : "cloudevent");
  const args = [...(options.nodeOptions ?? []), "--import", PRELOAD, frameworkCli];
  args.push("--source", options.source, "--target", target, "--signature-type", signatureType);
  args.push("--port", String(port));
  let child: ChildProcess | undefined;
  let stopping = false;
  let tail = "";

  const launch = async () => {
    if (!(await isPortFree(port))) {
      throw new PipelineStartError(
        "function",
        `${name} cannot listen on port ${port}: it is in use. ` +
          `Stop what uses it (an earlier npm start?) or choose other function ports.`,
        { port },
      );
    }
    stopping = false;
    tail = "";
    const running = spawn(process.execPath, args, {
      env: options.env,
      // Its own process group: a Ctrl-C in the terminal reaches the parent only, which may drain before it
      // stops the server. The IPC channel is PRELOAD's.
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    child = running;
    const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-TAIL_CHARACTERS));
    running.stdout!.on("data", keep);
    running.stderr!.on("data", keep);
    const { onLine } = options;
    if (onLine !== undefined) {
      createInterface({ input: running.stdout! }).on("line", (text) => onLine(text, "stdout"));
      createInterface({ input: running.stderr! }).on("line", (text) => onLine(text, "stderr"));
    }
    const problem = await untilListening(running);
    if (problem !== undefined) {
      running.kill("SIGKILL");
      const output = tail.trim().split("\n").slice(-8).join("\n");
      throw new PipelineStartError(
        "function",
        `${name} (port ${port}) ${problem}${output === "" ? "" : `:\n${output}`}`,
        { port },
      );
    }
    running.on("exit", (code, signal) => {
      if (!stopping) options.onExit?.(signal ?? `code ${code}`);
    });
  };

  /** Undefined once the server listens on `port`, else why it never will. */
  const untilListening = async (running: ChildProcess): Promise<string | undefined> => {
    const decided = new AbortController();
    const listening = new Promise<undefined>((resolve) => {
      const onMessage = (message: unknown) => {
        if ((message as { listening?: unknown } | null)?.listening !== port) return;
        running.off("message", onMessage);
        resolve(undefined);
      };
      running.on("message", onMessage);
    });
    const failed = new Promise<string>((resolve) => {
      running.once("exit", async (code, signal) => {
        // The last output may still be on its way: it says why.
        await Promise.race([once(running, "close"), sleep(200)]);
        resolve(`exited before listening (${signal ?? `code ${code}`})`);
      });
      running.once("error", (error) => resolve(`could not be started: ${error.message}`));
    });
    const timeout = sleep(READY_TIMEOUT_MS, `did not start listening within ${READY_TIMEOUT_MS / 1000} s`, {
      signal: decided.signal,
    }).catch(() => undefined);
    try {
      return await Promise.race([listening, failed, timeout]);
    } finally {
      decided.abort();
    }
  };

  const kill = async (signal: NodeJS.Signals = "SIGTERM") => {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    stopping = true;
    const exited = once(running, "exit");
    running.kill(signal);
    const timer = signal === "SIGKILL" ? undefined : setTimeout(() => running.kill("SIGKILL"), KILL_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get pid() {
      return child !== undefined && child.exitCode === null && child.signalCode === null
        ? child.pid
        : undefined;
    },
    recentOutput: () => tail,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    [Symbol.asyncDispose]: () => kill(),
  };
}

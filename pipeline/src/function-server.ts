// One function server of the local pipeline: the built ingestScan under the real functions-framework CLI,
// its JSON log lines parsed into outcomes, everything else passed on; killable and restartable on its port.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { freePort, isPortFree } from "@scan-ingest/emulator-google/ports";

const root = new URL("../../", import.meta.url).pathname;
// The functions-framework CLI: main.js beside the package's entry point (its exports do not list it).
const frameworkCli = new URL("./main.js", import.meta.resolve("@google-cloud/functions-framework")).pathname;
const guard = new URL("./exit-with-parent.ts", import.meta.url).pathname;
const READY_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 5_000;

/** What happened to one delivery, from the function's log line (docs/contract.md §7). */
export interface OutcomeEvent {
  /** 1-based instance number. */
  instance: number;
  /** `failed` means not acknowledged: Pub/Sub redelivers it. */
  outcome: "stored" | "stale" | "duplicate" | "rejected" | "failed";
  messageId?: string;
  key?: string;
  reason?: string;
  /** On `failed`: whether a redelivery may cure it, and for a permanent one what to fix. */
  failure?: "transient" | "permanent";
  fix?: string;
  latencyMs: number;
  /** Publish → processed (docs/contract.md §7); absent when the message had no publish time. */
  lagMs?: number;
  /** Date.now() when the line arrived. */
  at: number;
}

/** A line a function server printed that is not an outcome; `instance` absent: the pipeline's own notice. */
export interface OutputLine {
  instance?: number;
  stream: "stdout" | "stderr";
  text: string;
}

/** A start-up failure; `part` names what failed, the message says what to do. */
export class PipelineStartError extends Error {
  override name = "PipelineStartError";
  readonly part: "build" | "emulators" | "firestore" | "pubsub" | "function" | "topology";
  /** The port that was taken, when that was the problem. */
  readonly port: number | undefined;
  constructor(
    part: PipelineStartError["part"],
    message: string,
    options: { port?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.part = part;
    this.port = options.port;
  }
}

export interface FunctionInstance {
  /** 1-based. */
  index: number;
  port: number;
  /** The push subscription that feeds this server. */
  subscription: string;
  /** The server's process id; undefined while it is not running. */
  readonly pid: number | undefined;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL follows a SIGTERM ignored for 5 s. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills the server if it runs, then starts it again on the same port and waits until it listens. */
  restart(): Promise<void>;
}

export interface FunctionServerSettings {
  index: number;
  /** 0: a free port chosen now and kept across restarts. */
  port: number;
  subscription: string;
  /** The directory functions-framework loads (functions/dist). */
  source: string;
  env: NodeJS.ProcessEnv;
  onOutcome(event: OutcomeEvent): void;
  onOutput(line: OutputLine): void;
  /** Default ingestScan (a cloudevent function); scansApi is the read API, an http function. */
  target?: "ingestScan" | "scansApi";
}

const OUTCOMES: ReadonlySet<string> = new Set(["stored", "stale", "duplicate", "rejected", "failed"]);
// functions-framework's start-up banner: the first line says the server listens; none of it is news to a user.
const BANNER = /^(Serving function\.\.\.|Function: |Signature type: |URL: )/;

/** The outcome a function log line reports, or undefined for any other line. */
export function parseOutcomeLine(text: string): Omit<OutcomeEvent, "instance" | "at"> | undefined {
  if (!text.startsWith("{")) return undefined;
  let entry: unknown;
  try {
    entry = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof entry !== "object" || entry === null) return undefined;
  const fields = entry as Record<string, unknown>;
  if (typeof fields.outcome !== "string" || !OUTCOMES.has(fields.outcome)) return undefined;
  const event: Omit<OutcomeEvent, "instance" | "at"> = {
    outcome: fields.outcome as OutcomeEvent["outcome"],
    latencyMs: typeof fields.latencyMs === "number" ? fields.latencyMs : 0,
  };
  if (typeof fields.messageId === "string") event.messageId = fields.messageId;
  if (typeof fields.key === "string") event.key = fields.key;
  if (typeof fields.reason === "string") event.reason = fields.reason;
  if (fields.failure === "transient" || fields.failure === "permanent") event.failure = fields.failure;
  if (typeof fields.fix === "string") event.fix = fields.fix;
  if (typeof fields.lagMs === "number") event.lagMs = fields.lagMs;
  return event;
}

/** Starts one function server and resolves once it listens. */
export async function startFunctionServer(settings: FunctionServerSettings): Promise<FunctionInstance> {
  const port = settings.port === 0 ? await freePort() : settings.port;
  let child: ChildProcess | undefined;
  let stopping = false;

  const launch = async () => {
    if (!(await isPortFree(port))) {
      throw new PipelineStartError(
        "function",
        `function server ${settings.index} cannot listen on port ${port}: it is in use. ` +
          `Stop what uses it (an earlier npm start?) or choose other function ports.`,
        { port },
      );
    }
    stopping = false;
    child = spawnServer(settings, port, () => stopping);
    await waitUntilListening(child, settings.index, port);
  };

  const instance: FunctionInstance = {
    index: settings.index,
    port,
    subscription: settings.subscription,
    get pid() {
      return child !== undefined && child.exitCode === null && child.signalCode === null
        ? child.pid
        : undefined;
    },
    async kill(signal = "SIGTERM") {
      const running = child;
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
      stopping = true;
      const exited = once(running, "exit");
      running.kill(signal);
      const timer =
        signal === "SIGKILL" ? undefined : setTimeout(() => running.kill("SIGKILL"), KILL_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
    async restart() {
      await instance.kill();
      await launch();
    },
  };
  await launch();
  return instance;
}

function spawnServer(settings: FunctionServerSettings, port: number, stopping: () => boolean): ChildProcess {
  const { index } = settings;
  const target = settings.target ?? "ingestScan";
  const args = ["--import", guard, frameworkCli, "--source", settings.source, "--target", target];
  args.push("--signature-type", target === "scansApi" ? "http" : "cloudevent", "--port", String(port));
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: settings.env,
    // Its own process group: a Ctrl-C in the terminal reaches npm start only, which drains before stopping
    // the servers. The IPC channel is what exit-with-parent.ts watches.
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let listening = false;
  createInterface({ input: child.stdout! }).on("line", (text) => {
    const parsed = parseOutcomeLine(text);
    if (parsed !== undefined) {
      settings.onOutcome({ instance: index, ...parsed, at: Date.now() });
    } else if (BANNER.test(text) && !listening) {
      if (text.startsWith("URL: ")) listening = true;
    } else {
      settings.onOutput({ instance: index, stream: "stdout", text });
    }
  });
  createInterface({ input: child.stderr! }).on("line", (text) =>
    settings.onOutput({ instance: index, stream: "stderr", text }),
  );
  child.on("exit", (code, signal) => {
    if (stopping()) return;
    settings.onOutput({
      instance: index,
      stream: "stderr",
      text: `function server ${index} exited (${signal ?? `code ${code}`}); its subscription's messages wait for a restart`,
    });
  });
  return child;
}

/** Resolves when functions-framework prints its banner (printed from the listen callback). */
async function waitUntilListening(child: ChildProcess, index: number, port: number): Promise<void> {
  const errors: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      const output = errors.join("").trim().split("\n").slice(-8).join("\n");
      reject(
        new PipelineStartError(
          "function",
          `function server ${index} (port ${port}) ${reason}${output === "" ? "" : `:\n${output}`}`,
          { port },
        ),
      );
    };
    const timer = setTimeout(
      () => fail(`did not start listening within ${READY_TIMEOUT_MS / 1000} s`),
      READY_TIMEOUT_MS,
    );
    const onLine = (chunk: Buffer) => {
      if (chunk.toString().includes("Serving function...")) {
        clearTimeout(timer);
        child.stdout!.off("data", onLine);
        child.off("exit", onExit);
        resolve();
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited before listening (${signal ?? `code ${code}`})`);
    child.stdout!.on("data", onLine);
    child.once("exit", onExit);
    child.once("error", (error) => fail(`could not be started: ${error.message}`));
  });
}

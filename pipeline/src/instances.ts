// The pipeline's function instances: the built function under functions-framework (function-server.ts), each
// its own process, whose log lines become outcomes attributed to its instance number, while everything else is
// passed on.
import { startFunctionServer } from "./function-server.ts";
import { parseOutcomeLine, type OutcomeEvent } from "./outcomes.ts";

/** A line a function server printed that is not an outcome; `instance` absent: the pipeline's own notice. */
export interface OutputLine {
  instance?: number;
  stream: "stdout" | "stderr";
  text: string;
}

export interface FunctionInstance {
  /** 1-based. */
  index: number;
  port: number;
  /** The push subscription that feeds this server: the same for every instance, except in a duplicate storm. */
  subscription: string;
  /** The server's process id; undefined while it is not running. */
  readonly pid: number | undefined;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL follows a SIGTERM ignored for 5 s. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills the server if it runs, then starts it again on the same port and waits until it listens. */
  restart(): Promise<void>;
}

export interface InstanceSettings {
  index: number;
  /** 0: a free port chosen now and kept across restarts. */
  port: number;
  subscription: string;
  /** The directory functions-framework loads (functions/dist). */
  source: string;
  env: NodeJS.ProcessEnv;
  /** What happens to its deliveries while it is down, said when it exits unasked. */
  whenDown?: string;
  onOutcome(event: OutcomeEvent): void;
  onOutput(line: OutputLine): void;
  /** Default ingestScan (a cloudevent function); scansApi is the read API, an http function. */
  target?: "ingestScan" | "scansApi";
}

// functions-framework's start-up banner (outside production): none of it is news to a user.
const BANNER = /^(Serving function\.\.\.|Function: |Signature type: |URL: )/;

/** Starts one function server of the pipeline and resolves once it listens. */
export async function startInstance(settings: InstanceSettings): Promise<FunctionInstance> {
  const { index } = settings;
  // Until its last line ("URL: ..."), each start's banner is left out.
  let inBanner = true;
  const server = await startFunctionServer({
    source: settings.source,
    target: settings.target ?? "ingestScan",
    port: settings.port,
    env: settings.env,
    name: `function server ${index}`,
    onLine(text, stream) {
      if (stream === "stdout") {
        const parsed = parseOutcomeLine(text);
        if (parsed !== undefined) return settings.onOutcome({ instance: index, ...parsed, at: Date.now() });
        if (inBanner && BANNER.test(text)) {
          inBanner = !text.startsWith("URL: ");
          return;
        }
      }
      settings.onOutput({ instance: index, stream, text });
    },
    onExit: (how) =>
      settings.onOutput({
        instance: index,
        stream: "stderr",
        text: `function server ${index} exited (${how})${settings.whenDown ? `; ${settings.whenDown}` : ""}`,
      }),
  });
  return {
    index,
    port: server.port,
    subscription: settings.subscription,
    get pid() {
      return server.pid;
    },
    kill: (signal) => server.kill(signal),
    async restart() {
      await server.kill();
      inBanner = true;
      await server.restart();
    },
  };
}

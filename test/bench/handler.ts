// handler.ofFloor: ingestScan through functions-framework's HTTP server against the embedded Firestore,
// against a bare function writing the same documents through the same server (minimal-function.ts);
// handler.ratio: against the same get+set transactions straight through the SDK; all at concurrency 32.
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { start as startFirestore } from "@scan-ingest/emulator-firestore";
import { DEFAULT_PROJECT } from "@scan-ingest/pipeline/defaults";
import type { LoadMessage, LoadRequest, LoadResult } from "./load-worker.ts";
import { alternate, median, processCpuMs, progress, startFramework } from "./measure.ts";
import { storedDocumentMessages } from "./stored.ts";

/** CPU milliseconds per message of each process taking part (medians over the rounds). */
export interface CpuPerMessage {
  /** The functions-framework server (handler) or nothing (sdk: the SDK runs in the client). */
  functionMs: number | undefined;
  /** The embedded Firestore, in this process. */
  emulatorMs: number;
  /** The load generator: HTTP client (handler) or the SDK itself (sdk). */
  clientMs: number;
  /** Firestore RPCs per message, from the emulator's counters. */
  rpcs: number;
}

export interface HandlerFigures {
  /** ingestScan ÷ the minimal function, both through functions-framework: the goal (≥ 0.9). */
  ofFloor: number;
  /** ingestScan through functions-framework ÷ the SDK alone. */
  ratio: number;
  /** The minimal function through functions-framework ÷ the SDK: what the framework alone leaves. */
  frameworkFloorRatio: number;
  handlerPerSec: number;
  minimalPerSec: number;
  sdkPerSec: number;
  concurrency: number;
  cpu: { handler: CpuPerMessage; minimal: CpuPerMessage; sdk: CpuPerMessage };
}

/** Messages with keys no other round uses, so every one is a fresh get+set. */
export function freshMessages(round: string, count: number): LoadMessage[] {
  const timestamp = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, index) => ({
    messageId: `${round}-${index}`,
    data: JSON.stringify({
      ip: `10.${index >> 16}.${(index >> 8) & 255}.${index & 255}`,
      port: 443,
      service: `BENCH-${round}`,
      timestamp,
      data_version: 2,
      data: { response_str: `service response: ${index % 100}` },
    }),
  }));
}

/** A load-worker child; `run` sends it one request and resolves with its result. */
export function startWorker(): { run(request: LoadRequest): Promise<LoadResult>; stop(): Promise<void> } {
  const child: ChildProcess = fork(new URL("./load-worker.ts", import.meta.url).pathname, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    // No metadata server here: spares the auth library its probe and warning.
    env: { ...process.env, METADATA_SERVER_DETECTION: "none" },
  });
  return {
    async run(request) {
      child.send(request);
      const [reply] = (await once(child, "message")) as [LoadResult | { error: string }];
      if ("error" in reply) throw new Error(`load worker failed: ${reply.error}`);
      if (reply.failures > 0) throw new Error(`${reply.failures} ${request.mode} deliveries failed`);
      return reply;
    },
    async stop() {
      const exited = once(child, "exit");
      child.disconnect();
      await exited;
    },
  };
}

export async function benchHandler(options: {
  dist: string;
  /** The minimal function (one SDK transaction per message), served the same way: functions-framework's own cost. */
  minimal: string;
  messages: number;
  rounds: number;
  concurrency: number;
}): Promise<HandlerFigures> {
  const { concurrency } = options;
  const firestore = await startFirestore({ port: 0 });
  const env = { FIRESTORE_EMULATOR_HOST: firestore.host, GOOGLE_CLOUD_PROJECT: DEFAULT_PROJECT };
  const server = await startFramework({
    source: options.dist,
    env: { ...env, SERVICES_COLLECTION: "bench-handler" },
  });
  const minimalServer = await startFramework({ source: options.minimal, env });
  const worker = startWorker();
  try {
    type Variant = "handler" | "minimal" | "sdk";
    const totalRpcs = () => Object.values(firestore.counters.rpcs).reduce((sum, count) => sum + count, 0);
    const cpu: Record<Variant, CpuPerMessage[]> = { handler: [], minimal: [], sdk: [] };
    const run = async (variant: Variant, round: string, count: number) => {
      // The bare function is sent the documents ingestScan stores for the same messages, and writes them.
      const fresh = freshMessages(round, count);
      const messages = variant === "minimal" ? storedDocumentMessages(fresh) : fresh;
      const common = { concurrency, messages };
      const target = variant === "minimal" ? minimalServer : server;
      const request: LoadRequest =
        variant === "sdk"
          ? { mode: "sdk", firestoreHost: firestore.host, collection: "bench-sdk", ...common }
          : { mode: "http", url: target.url, ...common };
      const rpcsBefore = totalRpcs();
      const emulatorCpu = process.cpuUsage();
      const functionCpu = await processCpuMs(target.child.pid);
      const { elapsedMs, cpuMs } = await worker.run(request);
      const emulatorUsed = process.cpuUsage(emulatorCpu);
      const functionUsed = variant === "sdk" ? undefined : await processCpuMs(target.child.pid);
      cpu[variant].push({
        functionMs:
          functionUsed === undefined || functionCpu === undefined
            ? undefined
            : (functionUsed - functionCpu) / count,
        emulatorMs: (emulatorUsed.user + emulatorUsed.system) / 1000 / count,
        clientMs: cpuMs / count,
        rpcs: (totalRpcs() - rpcsBefore) / count,
      });
      return (count / elapsedMs) * 1000;
    };
    progress(`handler: warming up the three paths`);
    for (const variant of ["handler", "minimal", "sdk"] as const) {
      await run(variant, "warm", concurrency * 4);
      cpu[variant].length = 0;
    }
    progress(
      `handler: ${options.messages} messages per round at concurrency ${concurrency}, ${options.rounds} rounds`,
    );
    // Every variant gets the same keys round by round, each in its own collection, so every one is fresh.
    const rounds = { handler: 0, minimal: 0, sdk: 0 };
    const next = (variant: Variant) => () => run(variant, `r${rounds[variant]++}`, options.messages);
    const rates = await alternate(options.rounds, {
      handler: next("handler"),
      minimal: next("minimal"),
      sdk: next("sdk"),
    });
    const medianCpu = (runs: CpuPerMessage[]): CpuPerMessage => ({
      functionMs: runs.every((run) => run.functionMs !== undefined)
        ? median(runs.map((run) => run.functionMs!))
        : undefined,
      emulatorMs: median(runs.map((run) => run.emulatorMs)),
      clientMs: median(runs.map((run) => run.clientMs)),
      rpcs: median(runs.map((run) => run.rpcs)),
    });
    const handlerPerSec = median(rates.handler);
    const minimalPerSec = median(rates.minimal);
    const sdkPerSec = median(rates.sdk);
    return {
      ofFloor: handlerPerSec / minimalPerSec,
      ratio: handlerPerSec / sdkPerSec,
      frameworkFloorRatio: minimalPerSec / sdkPerSec,
      handlerPerSec,
      minimalPerSec,
      sdkPerSec,
      concurrency,
      cpu: { handler: medianCpu(cpu.handler), minimal: medianCpu(cpu.minimal), sdk: medianCpu(cpu.sdk) },
    };
  } finally {
    await worker.stop();
    await server.stop();
    await minimalServer.stop();
    await firestore.stop();
  }
}

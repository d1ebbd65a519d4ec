// concurrency.*: ingestScan's CPU time per message, latency and peak memory at the request concurrencies a
// Cloud Run function could be given (1, 8, 32, 80), through functions-framework against the embedded
// Firestore. CPU per message is what sizes the deployment: wall-clock figures here share 2 cores with the
// emulator and the load generator, so only their shape across concurrencies means anything.
import { fork } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { start as startFirestore } from "@scan-ingest/emulator-firestore";
import { DEFAULT_PROJECT } from "@scan-ingest/pipeline/defaults";
import { freshMessages } from "./handler.ts";
import type { LatencyRequest, LatencyResult } from "./latency-worker.ts";
import { median, percentile, progress, startFramework } from "./measure.ts";

export const CONCURRENCIES = [1, 8, 32, 80] as const;

export interface ConcurrencyPoint {
  concurrency: number;
  /** The function server's CPU per message (user + system), median over rounds. */
  cpuMsPerMessage: number;
  /** The embedded Firestore's CPU per message: not the function's, but it shared the machine. */
  emulatorCpuMsPerMessage: number;
  p50Ms: number;
  p99Ms: number;
  msgsPerSec: number;
  /** The function process's peak resident memory since it started (VmHWM), after this concurrency. */
  peakRssMiB: number;
}

export interface ConcurrencyFigures {
  points: ConcurrencyPoint[];
  messages: number;
  rounds: number;
}

/** CPU milliseconds a process has used so far (utime + stime from /proc, 100 ticks a second); undefined elsewhere. */
async function processCpuMs(pid: number | undefined): Promise<number | undefined> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Peak resident set size of a process, from /proc (Linux); NaN elsewhere. */
async function peakRssMiB(pid: number | undefined): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

function startLatencyWorker() {
  const child = fork(new URL("./latency-worker.ts", import.meta.url).pathname, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return {
    async run(request: LatencyRequest): Promise<LatencyResult> {
      child.send(request);
      const [reply] = (await once(child, "message")) as [LatencyResult | { error: string }];
      if ("error" in reply) throw new Error(`latency worker failed: ${reply.error}`);
      if (reply.failures > 0)
        throw new Error(`${reply.failures} deliveries failed at concurrency ${request.concurrency}`);
      return reply;
    },
    async stop() {
      const exited = once(child, "exit");
      child.disconnect();
      await exited;
    },
  };
}

/** Measures every concurrency in turn on one function server (fresh keys each round). */
export async function benchConcurrency(options: {
  dist: string;
  messages: number;
  rounds: number;
  concurrencies?: readonly number[];
}): Promise<ConcurrencyFigures> {
  const firestore = await startFirestore({ port: 0 });
  const server = await startFramework({
    source: options.dist,
    env: { FIRESTORE_EMULATOR_HOST: firestore.host, GOOGLE_CLOUD_PROJECT: DEFAULT_PROJECT },
  });
  const worker = startLatencyWorker();
  const pid = server.child.pid;
  try {
    progress("concurrency: warming up");
    await worker.run({ url: server.url, concurrency: 8, messages: freshMessages("cwarm", 400) });
    const points: ConcurrencyPoint[] = [];
    for (const concurrency of options.concurrencies ?? CONCURRENCIES) {
      progress(`concurrency: ${concurrency}, ${options.rounds} rounds of ${options.messages} messages`);
      const cpu: number[] = [];
      const emulatorCpu: number[] = [];
      const rates: number[] = [];
      const latencies: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        const messages = freshMessages(`c${concurrency}r${round}`, options.messages);
        const before = await processCpuMs(pid);
        const emulatorBefore = process.cpuUsage();
        const result = await worker.run({ url: server.url, concurrency, messages });
        const emulatorUsed = process.cpuUsage(emulatorBefore);
        const after = await processCpuMs(pid);
        if (before === undefined || after === undefined)
          throw new Error("no /proc here: cannot read the function's CPU time");
        cpu.push((after - before) / options.messages);
        emulatorCpu.push((emulatorUsed.user + emulatorUsed.system) / 1000 / options.messages);
        rates.push((options.messages / result.elapsedMs) * 1000);
        latencies.push(...result.latenciesMs);
      }
      points.push({
        concurrency,
        cpuMsPerMessage: median(cpu),
        emulatorCpuMsPerMessage: median(emulatorCpu),
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
        msgsPerSec: median(rates),
        peakRssMiB: await peakRssMiB(pid),
      });
    }
    return { points, messages: options.messages, rounds: options.rounds };
  } finally {
    await worker.stop();
    await server.stop();
    await firestore.stop();
  }
}

// Small shared pieces of the benchmarks: medians, alternating rounds, function servers, push deliveries, progress.
import { readFile } from "node:fs/promises";
import http from "node:http";
import { DEFAULT_NAMES, DEFAULT_PROJECT } from "@scan-ingest/pipeline/defaults";
import { startFunctionServer } from "@scan-ingest/pipeline/function-server";

export const repositoryRoot = new URL("../../", import.meta.url).pathname;

/** One progress line on stderr, so stdout stays the table. */
export function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The value below which `fraction` of the values lie (nearest rank). */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) throw new RangeError("percentile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

/**
 * Runs each variant once per round, in an order that alternates between rounds, so drift in the
 * machine's load falls on all of them alike. Returns every variant's measurements.
 */
export async function alternate<Name extends string>(
  rounds: number,
  variants: Record<Name, () => Promise<number> | number>,
): Promise<Record<Name, number[]>> {
  const names = Object.keys(variants) as Name[];
  const results = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name].push(await variants[name]());
  }
  return results;
}

/** CPU time a process has used so far, from /proc (Linux); undefined elsewhere. */
export async function processCpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** A functions-framework server for ingestScan-like targets, as the deployment runs it. */
export interface FrameworkServer {
  url: string;
  /** The server's process, for its CPU time. */
  child: { readonly pid: number | undefined };
  /** The end of what it printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts functions-framework on `source` (the one launcher, startFunctionServer) with only `env`, PATH and NODE_OPTIONS. */
export async function startFramework(options: {
  source: string;
  env: Record<string, string>;
  target?: string;
  nodeOptions?: string[];
}): Promise<FrameworkServer> {
  const server = await startFunctionServer({
    source: options.source,
    target: options.target ?? "ingestScan",
    env: {
      PATH: process.env.PATH ?? "",
      METADATA_SERVER_DETECTION: "none",
      // Node's own flags pass on (bench --profile adds --cpu-prof there).
      ...(process.env.NODE_OPTIONS !== undefined && { NODE_OPTIONS: process.env.NODE_OPTIONS }),
      ...options.env,
    },
    nodeOptions: options.nodeOptions ?? [],
  });
  return { url: server.url, child: server, output: () => server.recentOutput(), stop: () => server.kill() };
}

/** The body a Pub/Sub push subscription POSTs for one message. */
export function pushBody(data: string, messageId: string): string {
  return JSON.stringify({
    message: {
      data: Buffer.from(data, "utf8").toString("base64"),
      messageId,
      publishTime: new Date().toISOString(),
      attributes: {},
    },
    subscription: `projects/${DEFAULT_PROJECT}/subscriptions/bench`,
  });
}

// node:http with keep-alive rather than fetch: the load generator shares this machine's two cores with
// what it measures, and undici costs several times more CPU per request.
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs one push delivery to a function server; resolves with the HTTP status. */
export function deliverPush(url: string, data: string, messageId: string): Promise<number> {
  const body = pushBody(data, messageId);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/projects/${DEFAULT_PROJECT}/topics/${DEFAULT_NAMES.topic}`,
      {
        method: "POST",
        agent: keepAlive,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.once("end", () => resolve(response.statusCode ?? 0));
        response.once("error", reject);
      },
    );
    request.once("error", reject);
    request.end(body);
  });
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

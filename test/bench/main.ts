// `npm run bench -- [--json FILE] [--quick]`: the figures of issue 7, each a ratio to its floor measured
// side by side in this run (this machine is noisy), as a table on stdout and optionally as JSON.
import { writeFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { parseBenchArgs, usage, UsageError, type BenchOptions } from "./args.ts";
import { benchColdStart, buildBoth, type Builds } from "./cold-start.ts";
import { benchDecode } from "./decode.ts";
import { benchEmulators } from "./emulators.ts";
import { benchHandler } from "./handler.ts";
import { progress } from "./measure.ts";
import { benchOps } from "./ops.ts";
import { benchPipeline } from "./pipeline.ts";
import { formatTable, nestFigures, type Figure, type Goal } from "./report.ts";

/** How much work each figure does: the full run takes a few minutes on 2 cores; --quick only checks it runs. */
export function sizes(quick: boolean) {
  return quick
    ? {
        decode: { payloads: 2_000, rounds: 1 },
        handler: { messages: 64, rounds: 1, concurrency: 32 },
        coldStart: { repetitions: 1 },
        ops: { messages: 5 },
        emulators: { repetitions: 1 },
        pipeline: { messages: 100, latencySeconds: 1 },
      }
    : {
        decode: { payloads: 100_000, rounds: 7 },
        handler: { messages: 3_000, rounds: 3, concurrency: 32 },
        coldStart: { repetitions: 7 },
        ops: { messages: 100 },
        emulators: { repetitions: 7 },
        pipeline: { messages: 5_000, latencySeconds: 5 },
      };
}

type Row = [name: string, goal: Goal | undefined, digits: number];

/** Everything each group measured (rates, CPU per message, the floors' own times), for the JSON. */
const details: Record<string, unknown> = {};

/** Runs one group of figures; a failure leaves its figures empty and the run goes on. */
async function measure<T>(
  rows: Row[],
  work: () => Promise<T>,
  pick: (result: T) => number[],
): Promise<Figure[]> {
  let values: Array<number | undefined> = rows.map(() => undefined);
  try {
    const result = await work();
    details[rows[0]![0].split(".")[0]!] = result;
    values = pick(result);
  } catch (error) {
    progress(`FAILED ${rows.map(([name]) => name).join(", ")}: ${(error as Error).stack ?? String(error)}`);
  }
  return rows.map(([name, goal, digits], index) => ({
    name,
    value: values[index],
    digits,
    ...(goal && { goal }),
  }));
}

export async function runBench(options: BenchOptions): Promise<Figure[]> {
  const size = sizes(options.quick);
  const figures: Figure[] = [];
  figures.push(
    ...(await measure(
      [["decode.ratio", { atLeast: 0.5 }, 2]],
      () => benchDecode(size.decode),
      (result) => [result.ratio],
    )),
  );
  let builds: Builds | undefined;
  try {
    builds = await buildBoth();
  } catch (error) {
    progress(`FAILED to build the functions: ${(error as Error).message}`);
  }
  const built = async () => builds ?? Promise.reject(new Error("the build failed"));
  figures.push(
    ...(await measure(
      [
        ["handler.ratio", { atLeast: 0.8 }, 2],
        // Not an issue figure: the same ratio for a function that only runs the transaction, i.e. what
        // functions-framework itself leaves of the SDK's throughput on this machine.
        ["handler.frameworkFloorRatio", undefined, 2],
      ],
      async () => {
        const { dist, minimal } = await built();
        return benchHandler({ dist: dist.dir, minimal: minimal.dir, ...size.handler });
      },
      (result) => [result.ratio, result.frameworkFloorRatio],
    )),
    ...(await measure(
      [
        ["coldStart.ratio", { atMost: 0.7 }, 2],
        ["coldStart.overhead", { atMost: 1.1 }, 2],
        ["coldStart.ms", undefined, 0],
        ["coldStart.bundleBytes", undefined, 0],
      ],
      async () => benchColdStart({ builds: await built(), ...size.coldStart }),
      (result) => [result.ratio, result.overhead, result.ms, result.bundleBytes],
    )),
    ...(await measure(
      [
        ["ops.fresh.reads", { equals: 1 }, 2],
        ["ops.fresh.writes", { equals: 1 }, 2],
        ["ops.stale.reads", { equals: 1 }, 2],
        ["ops.stale.writes", { equals: 0 }, 2],
        ["ops.duplicate.reads", { equals: 1 }, 2],
        ["ops.duplicate.writes", { equals: 0 }, 2],
      ],
      async () => benchOps({ dist: (await built()).dist.dir, ...size.ops }),
      ({ fresh, stale, duplicate }) => [
        fresh.reads,
        fresh.writes,
        stale.reads,
        stale.writes,
        duplicate.reads,
        duplicate.writes,
      ],
    )),
    ...(await measure(
      [["emulators.readyMs", { below: 300 }, 0]],
      () => benchEmulators(size.emulators),
      (result) => [result.readyMs],
    )),
  );
  await builds?.remove();
  figures.push(
    ...(await measure(
      [
        ["pipeline.msgsPerSec", undefined, 0],
        ["pipeline.p50Ms", undefined, 1],
        ["pipeline.p99Ms", undefined, 1],
      ],
      () => benchPipeline(size.pipeline),
      (result) => [result.msgsPerSec, result.p50Ms, result.p99Ms],
    )),
  );
  return figures;
}

/** Where the numbers came from. */
export function machine() {
  return { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? "unknown", node: process.version };
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === "help") {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const started = performance.now();
  const figures = await runBench(options);
  const host = machine();
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `\n${formatTable(figures)}\n\n${host.cpus} CPUs (${host.cpuModel}), Node ${host.node}, ` +
      `${options.quick ? "quick run, " : ""}${seconds.toFixed(0)} s\n`,
  );
  if (options.jsonFile !== undefined) {
    const json = { ...nestFigures(figures), machine: host, quick: options.quick, seconds, details };
    await writeFile(options.jsonFile, `${JSON.stringify(json, null, 2)}\n`);
    progress(`wrote ${options.jsonFile}`);
  }
  if (figures.some((figure) => figure.value === undefined)) process.exitCode = 1;
}

if (import.meta.main) await main();

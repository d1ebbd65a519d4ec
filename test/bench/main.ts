// `npm run bench -- [--json FILE] [--quick] [--only GROUPS] [--profile GROUP]`: the performance figures, each a ratio to its
// floor measured side by side in this run (this machine is noisy), as a table on stdout and optionally as JSON.
import { writeFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { SHARDS } from "@scan-ingest/functions/shard";
import { parseBenchArgs, usage, UsageError, type BenchOptions, type Group } from "./args.ts";
import { TARGET_SCANS_PER_SEC } from "./capacity-model.ts";
import { benchCapacity, deployedIndexCeilings } from "./capacity.ts";
import { benchColdStart, buildBoth, type Builds } from "./cold-start.ts";
import { CONCURRENCIES } from "./concurrency.ts";
import { benchConsole } from "./console.ts";
import { benchDecode } from "./decode.ts";
import { benchDeployment, type DeploymentFigures } from "./deployment.ts";
import { benchEmulators } from "./emulators.ts";
import { benchHandler } from "./handler.ts";
import { benchListeners } from "./listeners.ts";
import { progress } from "./measure.ts";
import { benchOps, OPS_CASES, OPS_WRITES } from "./ops.ts";
import { benchPipeline } from "./pipeline.ts";
import { formatProfiles, startProfiling, type Profiling } from "./profile.ts";
import { benchReadApi } from "./read-api.ts";
import { benchSoak } from "./soak.ts";
import { formatTable, nestFigures, type Figure, type Goal } from "./report.ts";
import { benchVsGoogle } from "./vs-google.ts";

/** How much work each figure does: the full run takes a few minutes on 2 cores; --quick only checks it runs. */
export function sizes(quick: boolean) {
  return quick
    ? {
        decode: { payloads: 2_000, rounds: 1 },
        handler: { messages: 64, rounds: 1, concurrency: 32 },
        coldStart: { repetitions: 1 },
        ops: { messages: 5 },
        emulators: { repetitions: 1 },
        listeners: { commits: 200, rounds: 1 },
        pipeline: { messages: 100, rounds: 1, latencySeconds: 1 },
        deployment: { messages: 40, rounds: 1, opsMessages: 5 },
        capacity: { messages: 40, rounds: 1, opsMessages: 5 },
        readApi: { services: 60, requests: 64, pageRequests: 64, rounds: 1, concurrency: 32 },
        console: { large: 2_000, small: 100, rounds: 1 },
        soak: { messages: 1_000, warmUpMessages: 200 },
        vsGoogle: {
          starts: 1,
          firestore: { warmUpSeconds: 0.5, roundSeconds: 0.5, rounds: 1, workers: 32, keys: 500 },
          pubsub: { warmUpMessages: 100, messages: 200, rounds: 1 },
        },
      }
    : {
        decode: { payloads: 100_000, rounds: 7 },
        handler: { messages: 3_000, rounds: 5, concurrency: 32 },
        coldStart: { repetitions: 7 },
        ops: { messages: 100 },
        emulators: { repetitions: 7 },
        listeners: { commits: 2_000, rounds: 5 },
        pipeline: { messages: 5_000, rounds: 3, latencySeconds: 5 },
        deployment: { messages: 400, rounds: 2, opsMessages: 100 },
        // Alone, it measures only the deployed concurrency; after the deployment group it takes that group's.
        capacity: { messages: 400, rounds: 2, opsMessages: 20 },
        readApi: { services: 1_000, requests: 2_000, pageRequests: 500, rounds: 3, concurrency: 32 },
        console: { large: 100_000, small: 100, rounds: 7 },
        soak: { messages: 100_000, warmUpMessages: 60_000 },
        vsGoogle: {
          starts: 3,
          firestore: { warmUpSeconds: 8, roundSeconds: 1.5, rounds: 5, workers: 32, keys: 500 },
          pubsub: { warmUpMessages: 20_000, messages: 10_000, rounds: 5 },
        },
      };
}

type Row = [name: string, goal: Goal | undefined, digits: number];

/** Everything each group measured (rates, CPU per message, the floors' own times), for the JSON. */
const details: Record<string, unknown> = {};

/**
 * Runs one group of figures; a failure leaves its figures empty and the run goes on. `pick` returns the
 * values in the order of `rows`, or a sentence saying why the group could not be measured here.
 */
async function measure<T>(
  rows: Row[],
  work: () => Promise<T>,
  pick: (result: T) => Array<number | string> | { notMeasured: string },
): Promise<Figure[]> {
  let values: Array<number | string | undefined> = rows.map(() => undefined);
  let notMeasured: string | undefined;
  try {
    const result = await work();
    details[rows[0]![0].split(".")[0]!] = result;
    const picked = pick(result);
    if (Array.isArray(picked)) values = picked;
    else notMeasured = picked.notMeasured;
  } catch (error) {
    progress(`FAILED ${rows.map(([name]) => name).join(", ")}: ${(error as Error).stack ?? String(error)}`);
  }
  return rows.map(([name, goal, digits], index) => ({
    name,
    value: values[index],
    digits,
    ...(goal && { goal }),
    ...(notMeasured !== undefined && { notMeasured }),
  }));
}

export async function runBench(options: BenchOptions): Promise<Figure[]> {
  const size = sizes(options.quick);
  const figures: Figure[] = [];
  const wanted = (group: Group) => options.only === undefined || options.only.includes(group);
  /** The group's figures, or none when --only leaves it out. */
  const group = async (name: Group, run: () => Promise<Figure[]>) => (wanted(name) ? run() : []);
  figures.push(
    ...(await group("decode", () =>
      measure(
        [["decode.ratio", { atLeast: 0.5 }, 2]],
        () => benchDecode(size.decode),
        (result) => [result.ratio],
      ),
    )),
  );
  let builds: Builds | undefined;
  if (wanted("handler") || wanted("coldStart") || wanted("ops")) {
    try {
      builds = await buildBoth();
    } catch (error) {
      progress(`FAILED to build the functions: ${(error as Error).message}`);
    }
  }
  const built = async () => builds ?? Promise.reject(new Error("the build failed"));
  figures.push(
    ...(await group("handler", () =>
      measure(
        [
          // ingestScan ÷ a function that only runs the transaction, both through functions-framework: what
          // our own code leaves of the most any function reaches here.
          ["handler.ofFloor", { atLeast: 0.9 }, 2],
          // ingestScan ÷ the SDK alone, and the same for the bare function: what functions-framework
          // itself leaves of the SDK's throughput on this machine.
          ["handler.ratio", undefined, 2],
          ["handler.frameworkFloorRatio", undefined, 2],
        ],
        async () => {
          const { dist, minimal } = await built();
          return benchHandler({ dist: dist.dir, minimal: minimal.dir, ...size.handler });
        },
        (result) => [result.ofFloor, result.ratio, result.frameworkFloorRatio],
      ),
    )),
    ...(await group("coldStart", () =>
      measure(
        [
          ["coldStart.ratio", { atMost: 0.7 }, 2],
          ["coldStart.overhead", { atMost: 1.1 }, 2],
          ["coldStart.ms", undefined, 0],
          ["coldStart.bundleBytes", undefined, 0],
        ],
        async () => benchColdStart({ builds: await built(), ...size.coldStart }),
        (result) => [result.ratio, result.overhead, result.ms, result.bundleBytes],
      ),
    )),
    ...(await group("ops", () =>
      measure(
        // docs/contract.md §3's budget: one read always; no write for a duplicate or a scan inside its range,
        // one for a newer scan of the stored response, and two only where the history gains or widens.
        OPS_CASES.flatMap((name) => [
          [`ops.${name}.reads`, { equals: 1 }, 2] as const,
          [`ops.${name}.writes`, { equals: OPS_WRITES[name] }, 2] as const,
        ]),
        async () => benchOps({ dist: (await built()).dist.dir, ...size.ops }),
        (figures) => OPS_CASES.flatMap((name) => [figures[name].reads, figures[name].writes]),
      ),
    )),
    ...(await group("emulators", () =>
      measure(
        [
          ["emulators.readyMs", { below: 250 }, 0],
          // Each emulator's first request after that start, over a new connection: no work left for it.
          ["emulators.firstRpc.firestoreMs", undefined, 1],
          ["emulators.firstRpc.pubsubMs", undefined, 1],
          // Firestore commit throughput with 100 open listeners ÷ with none (emulators/firestore Listen).
          ["emulators.listeners.ratio", { atLeast: 0.8 }, 2],
          ["emulators.listeners.withPerSec", undefined, 0],
          ["emulators.listeners.withoutPerSec", undefined, 0],
          // A 50-document page newest first over 100,000 documents ÷ over 100, through the real client.
          ["emulators.queryPage.firstRatio", { atMost: 1.5 }, 2],
          ["emulators.queryPage.middleRatio", { atMost: 1.5 }, 2],
          ["emulators.queryPage.firstLargeMs", undefined, 1],
          ["emulators.queryPage.seedMs", undefined, 0],
        ],
        async () => ({
          ...(await benchEmulators(size.emulators)),
          listeners: await benchListeners(size.listeners),
        }),
        (result) => [
          result.readyMs,
          result.firstRpc.firestoreMs,
          result.firstRpc.pubsubMs,
          result.listeners.ratio,
          result.listeners.withPerSec,
          result.listeners.withoutPerSec,
          result.queryPage.firstRatio,
          result.queryPage.middleRatio,
          result.queryPage.firstLargeMs,
          result.queryPage.seedMs,
        ],
      ),
    )),
  );
  await builds?.remove();
  figures.push(
    ...(await group("pipeline", () =>
      measure(
        [
          // End to end ÷ the embedded Firestore alone doing the same transactions at the push concurrency.
          ["pipeline.floorRatio", { atLeast: 0.8 }, 2],
          ["pipeline.msgsPerSec", undefined, 0],
          ["pipeline.floorPerSec", undefined, 0],
          ["pipeline.p50Ms", undefined, 1],
          ["pipeline.p99Ms", undefined, 1],
          // CPU per message: the function server and this process (emulators, publisher), then the floor's.
          ["pipeline.cpu.functionMs", undefined, 2],
          ["pipeline.cpu.emulatorsAndPublisherMs", undefined, 2],
          ["pipeline.cpu.floorSdkMs", undefined, 2],
          ["pipeline.cpu.floorEmulatorMs", undefined, 2],
        ],
        () => benchPipeline(size.pipeline),
        (result) => [
          result.floorRatio,
          result.msgsPerSec,
          result.floorPerSec,
          result.p50Ms,
          result.p99Ms,
          result.cpuMsPerMessage.pipeline.functionMs ?? "not measured (no /proc)",
          result.cpuMsPerMessage.pipeline.emulatorsAndPublisherMs,
          result.cpuMsPerMessage.floor.sdkMs,
          result.cpuMsPerMessage.floor.emulatorMs,
        ],
      ),
    )),
    // Beyond the core figures: the embedded emulators against Google's own, when those are installed.
    ...(await group("vsGoogle", () =>
      measure(
        [
          ["vsGoogle.start.ratio", { atMost: 0.2 }, 3],
          ["vsGoogle.start.firestoreRatio", { atMost: 0.2 }, 3],
          ["vsGoogle.start.pubsubRatio", { atMost: 0.2 }, 3],
          ["vsGoogle.start.embeddedMs", undefined, 0],
          ["vsGoogle.start.googleFirestoreMs", undefined, 0],
          ["vsGoogle.start.googlePubsubMs", undefined, 0],
          ["vsGoogle.firestore.ratio", { atLeast: 3 }, 2],
          ["vsGoogle.firestore.embeddedPerSec", undefined, 0],
          ["vsGoogle.firestore.googlePerSec", undefined, 0],
          ["vsGoogle.pubsub.ratio", { atLeast: 3 }, 2],
          ["vsGoogle.pubsub.embeddedPerSec", undefined, 0],
          ["vsGoogle.pubsub.googlePerSec", undefined, 0],
          ["vsGoogle.memory.ratio", undefined, 3],
          ["vsGoogle.memory.embeddedMiB", undefined, 0],
          ["vsGoogle.memory.googleMiB", undefined, 0],
        ],
        () => benchVsGoogle(size.vsGoogle),
        (result) =>
          "notMeasured" in result
            ? // The table gives the reason; the JSON's details keep what to install as well.
              { notMeasured: result.notMeasured.replace(/\. To use them, .*$/s, "") }
            : [
                result.start.ratio,
                result.start.firestoreRatio,
                result.start.pubsubRatio,
                result.start.embeddedMs,
                result.start.googleFirestoreMs,
                result.start.googlePubsubMs,
                result.firestore.ratio,
                result.firestore.embedded.perSec,
                result.firestore.google.perSec,
                result.pubsub.ratio,
                result.pubsub.embedded.perSec,
                result.pubsub.google.perSec,
                result.memory.ratio,
                result.memory.embeddedMiB,
                result.memory.googleMiB,
              ],
      ),
    )),
  );
  // Beyond the core figures: what sizes the deployment (functions/deploy.json) and its cost per million scans
  // from this run's CPU per message and infra/prices.json (docs/capacity.md).
  const concurrencyRows = CONCURRENCIES.flatMap((c): Row[] => [
    [`deployment.c${c}.cpuMsPerMessage`, undefined, 2],
    [`deployment.c${c}.p50Ms`, undefined, 1],
    [`deployment.c${c}.p99Ms`, undefined, 1],
    [`deployment.c${c}.peakRssMiB`, undefined, 0],
  ]);
  let deployment: DeploymentFigures | undefined;
  figures.push(
    ...(await group("deployment", () =>
      measure(
        [
          ...concurrencyRows,
          ["deployment.cost.perMillionUsd", undefined, 3],
          ["deployment.cost.floorPerMillionUsd", undefined, 3],
          ["deployment.cost.ratio", undefined, 3],
        ],
        async () => (deployment = await benchDeployment(size.deployment)),
        ({ concurrency, cost }) => [
          ...concurrency.points.flatMap((point) => [
            point.cpuMsPerMessage,
            point.p50Ms,
            point.p99Ms,
            point.peakRssMiB,
          ]),
          cost.perMillionUsd,
          cost.floorPerMillionUsd,
          cost.ratio,
        ],
      ),
    )),
  );
  // The capacity model (docs/capacity.md) on the deployed indexes at this run's CPU per message, and before the shards.
  figures.push(
    ...(await group("capacity", () => {
      // One row per index that has a ceiling at all; the JSON's details hold every index.
      const indexRows = deployedIndexCeilings().map((index): Row => [
        `capacity.index.${index.name}`,
        undefined,
        0,
      ]);
      return measure(
        [
          ["capacity.ceilingScansPerSec", { atLeast: TARGET_SCANS_PER_SEC }, 0],
          ["capacity.firstCeiling", undefined, 0],
          ["capacity.firstCeilingCause", undefined, 0],
          ["capacity.hotIndexes", { equals: 0 }, 0],
          // The lowest index ceiling ÷ the lowest limit: below 1, an index of ours is the first ceiling.
          ["capacity.indexMargin", { atLeast: 1 }, 2],
          // The shards (whole `in` queries) that would keep every sharded index above the limits.
          ["capacity.shardsNeeded", { atMost: SHARDS }, 0],
          ["capacity.cpuMsPerMessage", undefined, 2],
          ["capacity.maxInstancesScansPerSec", undefined, 0],
          ["capacity.pubsubQuotaScansPerSec", undefined, 0],
          ["capacity.ramp.minutesTo1000", undefined, 0],
          ["capacity.ramp.minutesTo10000", undefined, 0],
          [`capacity.ramp.minutesTo${TARGET_SCANS_PER_SEC}`, undefined, 0],
          ["capacity.ramp.minutesToCeiling", undefined, 0],
          ["capacity.before.ceilingScansPerSec", undefined, 0],
          ["capacity.before.firstCeiling", undefined, 0],
          ...indexRows,
        ],
        () => benchCapacity({ ...size.capacity, deployment }),
        ({ model, before, measured }) => {
          const limit = (name: string) => model.limits.find((ceiling) => ceiling.name === name)!.scansPerSec;
          const ramp = (rate: number) =>
            model.ramp.find((step) => step.scansPerSec === rate)?.minutes ?? "beyond the ceiling";
          return [
            model.ceilingScansPerSec,
            model.firstCeiling.name,
            model.firstCeiling.cause,
            model.hot.length,
            model.indexMargin,
            model.shardsNeeded,
            measured.cpuMsPerMessage,
            limit("Cloud Run max instances"),
            limit("Pub/Sub publish quota"),
            ramp(1_000),
            ramp(10_000),
            ramp(TARGET_SCANS_PER_SEC),
            model.ramp.at(-1)!.minutes,
            "notRead" in before ? before.notRead : before.ceilingScansPerSec,
            "notRead" in before ? before.notRead : before.firstCeiling.name,
            ...indexRows.map(
              ([name]) => model.indexes.find((index) => `capacity.index.${index.name}` === name)!.scansPerSec,
            ),
          ];
        },
      );
    })),
  );
  // The read API (functions/dist's scansApi over keep-alive HTTP) against the same reads through the SDK.
  figures.push(
    ...(await group("readApi", () =>
      measure(
        [
          ...(["get", "page"] as const).flatMap((read): Row[] => [
            // scansApi ÷ a function making the same reads and nothing else, served the same way.
            [`readApi.${read}.ofFloor`, { atLeast: 0.9 }, 2],
            [`readApi.${read}.ratio`, undefined, 2],
            [`readApi.${read}.frameworkFloorRatio`, undefined, 2],
            [`readApi.${read}.apiPerSec`, undefined, 0],
            [`readApi.${read}.floorPerSec`, undefined, 0],
            [`readApi.${read}.sdkPerSec`, undefined, 0],
            [`readApi.${read}.apiP99Ms`, undefined, 1],
            [`readApi.${read}.floorP99Ms`, undefined, 1],
            [`readApi.${read}.sdkP99Ms`, undefined, 1],
          ]),
        ],
        () => benchReadApi(size.readApi),
        ({ get, page }) =>
          [get, page].flatMap((read) => [
            read.ofFloor,
            read.ratio,
            read.frameworkFloorRatio,
            read.apiPerSec,
            read.floorPerSec,
            read.sdkPerSec,
            read.apiP99Ms,
            read.floorP99Ms,
            read.sdkP99Ms,
          ]),
      ),
    )),
    // The web console in Chromium: render times over 100,000 services ÷ over 100 (test/bench/console.ts).
    ...(await group("console", () =>
      measure(
        [
          ["console.byKey.first.ratio", { atMost: 1.5 }, 2],
          ["console.byKey.next.ratio", { atMost: 1.5 }, 2],
          ["console.newestFirst.first.ratio", { atMost: 1.5 }, 2],
          ["console.newestFirst.next.ratio", { atMost: 1.5 }, 2],
          ["console.byKey.first.largeMs", undefined, 1],
          ["console.byKey.next.largeMs", undefined, 1],
          ["console.newestFirst.first.largeMs", undefined, 1],
          ["console.newestFirst.next.largeMs", undefined, 1],
          ["console.seedSeconds", undefined, 1],
        ],
        () => benchConsole(size.console),
        (result) => [
          result.byKey.first.ratio,
          result.byKey.next.ratio,
          result.newestFirst.first.ratio,
          result.newestFirst.next.ratio,
          result.byKey.first.largeMs,
          result.byKey.next.largeMs,
          result.newestFirst.first.largeMs,
          result.newestFirst.next.largeMs,
          result.seedSeconds,
        ],
      ),
    )),
  );
  // Last: the longest group. Nothing may grow with the work done: each process's memory, the throughput.
  figures.push(
    ...(await group("soak", () =>
      measure(
        [
          ["soak.rssGrowth.functionServer", { below: 0.1 }, 3],
          ["soak.rssGrowth.firestore", { below: 0.1 }, 3],
          ["soak.rssGrowth.pubsub", { below: 0.1 }, 3],
          ["soak.throughputRatio", { atLeast: 0.9 }, 2],
          ["soak.rssMiB.functionServer", undefined, 0],
          ["soak.rssMiB.firestore", undefined, 0],
          ["soak.rssMiB.pubsub", undefined, 0],
          ["soak.firstTenthPerSec", undefined, 0],
          ["soak.lastTenthPerSec", undefined, 0],
        ],
        () => benchSoak(size.soak),
        (result) => [
          result.rssGrowth.functionServer,
          result.rssGrowth.firestore,
          result.rssGrowth.pubsub,
          result.throughputRatio,
          result.rssMiB.functionServer.end,
          result.rssMiB.firestore.end,
          result.rssMiB.pubsub.end,
          result.tenthsPerSec[0]!,
          result.tenthsPerSec.at(-1)!,
        ],
      ),
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
  const profiling: Profiling | undefined = options.profile ? await startProfiling() : undefined;
  const figures = await runBench(options);
  const profiles = await profiling?.finish();
  const host = machine();
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `\n${formatTable(figures)}\n\n${host.cpus} CPUs (${host.cpuModel}), Node ${host.node}, ` +
      `${options.quick ? "quick run, " : ""}${seconds.toFixed(0)} s\n`,
  );
  if (profiles !== undefined)
    process.stdout.write(
      `\nCPU profile of ${options.profile}, self time per process (${profiling!.directory} keeps the ` +
        `.cpuprofile files for Chrome DevTools):\n\n${formatProfiles(profiles)}\n`,
    );
  if (options.jsonFile !== undefined) {
    const json = { ...nestFigures(figures), machine: host, quick: options.quick, seconds, details };
    await writeFile(options.jsonFile, `${JSON.stringify(json, null, 2)}\n`);
    progress(`wrote ${options.jsonFile}`);
  }
  if (figures.some((figure) => figure.value === undefined && figure.notMeasured === undefined))
    process.exitCode = 1;
}

if (import.meta.main) await main();

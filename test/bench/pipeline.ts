// pipeline.*: npm start's path (@scan-ingest/pipeline: embedded emulators, the built function under
// functions-framework fed by a push subscription): sustained rate, and publish -> stored latency.
// pipeline.floorRatio: that rate ÷ the embedded Firestore's own rate for the same transactions (the same scans'
// documents, get + set) at the push subscription's concurrency, straight through the SDK from a process of
// its own, against the pipeline's Firestore in the same run: what Pub/Sub, the push hop, functions-framework
// and ingestScan leave of what the store alone allows.
import { DEFAULT_PUSH_CONCURRENCY } from "@scan-ingest/emulator-pubsub";
import { startPipeline, type OutcomeEvent } from "@scan-ingest/pipeline";
import { emulatorPubSub } from "@scan-ingest/pipeline/clients";
import { createRandom, generateScan, GO_SCANNER_KEYSPACE, unixSeconds } from "@scan-ingest/scanner";
import { startWorker } from "./handler.ts";
import { alternate, median, percentile, processCpuMs, progress } from "./measure.ts";

export interface PipelineFigures {
  msgsPerSec: number;
  /** The same transactions straight through the SDK at the push concurrency, per second. */
  floorPerSec: number;
  floorRatio: number;
  /**
   * CPU milliseconds per message (medians over the rounds): the function server, and this process (the
   * embedded emulators and the publisher) end to end; the SDK's process and this one (the Firestore) on the
   * floor. On a machine where every process shares the same cores, these explain the ratio.
   */
  cpuMsPerMessage: { pipeline: PipelineCpu; floor: FloorCpu };
  p50Ms: number;
  p99Ms: number;
  /** Messages per second published during the latency run: half the sustained rate. */
  latencyRatePerSec: number;
  messages: number;
  rounds: number;
}

interface PipelineCpu {
  functionMs: number | undefined;
  emulatorsAndPublisherMs: number;
}

interface FloorCpu {
  sdkMs: number;
  emulatorMs: number;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

// The scanner's own batching (scanner/src/publish.ts), so publishing costs what it costs under npm start.
const BATCHING = { maxMessages: 1000, maxMilliseconds: 10 };

export async function benchPipeline(options: {
  messages: number;
  rounds: number;
  latencySeconds: number;
}): Promise<PipelineFigures> {
  progress("pipeline: starting npm start's pipeline (build, emulators, function server)");
  const processedAt = new Map<string, number>();
  const pipeline = await startPipeline({
    instances: 1,
    onOutcome: (event: OutcomeEvent) => {
      if (event.messageId !== undefined && event.outcome !== "failed")
        processedAt.set(event.messageId, event.at);
    },
    onOutput: (line) => {
      if (line.stream === "stderr") progress(`pipeline ${line.instance ?? ""}| ${line.text}`);
    },
  });
  const client = emulatorPubSub({ host: pipeline.pubsubHost, projectId: pipeline.projectId });
  const topic = client.topic(pipeline.topic, { batching: BATCHING });
  const random = createRandom("bench-pipeline");
  const scan = () => JSON.stringify(generateScan(random, GO_SCANNER_KEYSPACE, unixSeconds()));
  const publish = () => topic.publishMessage({ data: Buffer.from(scan(), "utf8") });
  const worker = startWorker();
  const waitFor = async (ids: string[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    // Past the processed ones once: scanning every id at each poll was a twentieth of this process's CPU.
    let waiting = 0;
    const pending = () => {
      while (waiting < ids.length && processedAt.has(ids[waiting]!)) waiting++;
      return waiting < ids.length;
    };
    while (pending()) {
      if (Date.now() > deadline)
        throw new Error(`pipeline: messages not processed within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  try {
    // Warm-up: the first messages pay for the function's cold start, not the steady state.
    await waitFor(await Promise.all(Array.from({ length: 50 }, publish)), 60_000);

    progress(
      `pipeline: ${options.messages} messages as fast as they are taken, and the same transactions through ` +
        `the SDK at concurrency ${DEFAULT_PUSH_CONCURRENCY}, ${options.rounds} rounds`,
    );
    // CPU per message of each process, each round: where the pipeline's time goes against the floor's.
    const cpu = { pipeline: [] as PipelineCpu[], floor: [] as FloorCpu[] };
    const functionPid = () => pipeline.instances[0]!.pid;
    const sustained = async () => {
      const functionBefore = await processCpuMs(functionPid());
      const localBefore = process.cpuUsage();
      const started = Date.now();
      const ids = await Promise.all(Array.from({ length: options.messages }, publish));
      await waitFor(ids, 300_000);
      const last = Math.max(...ids.map((id) => processedAt.get(id)!));
      const functionAfter = await processCpuMs(functionPid());
      cpu.pipeline.push({
        functionMs:
          functionBefore === undefined || functionAfter === undefined
            ? undefined
            : (functionAfter - functionBefore) / options.messages,
        emulatorsAndPublisherMs: cpuMsSince(localBefore) / options.messages,
      });
      return (options.messages / (last - started)) * 1000;
    };
    let floorRound = 0;
    const floor = async () => {
      const round = floorRound++;
      const messages = Array.from({ length: options.messages }, (_, index) => ({
        messageId: `floor-${round}-${index}`,
        data: scan(),
      }));
      const localBefore = process.cpuUsage();
      const { elapsedMs, cpuMs } = await worker.run({
        mode: "sdk",
        firestoreHost: pipeline.firestoreHost,
        collection: `bench-pipeline-floor-${round}`,
        concurrency: DEFAULT_PUSH_CONCURRENCY,
        messages,
      });
      cpu.floor.push({
        sdkMs: cpuMs / options.messages,
        emulatorMs: cpuMsSince(localBefore) / options.messages,
      });
      return (options.messages / elapsedMs) * 1000;
    };
    const rates = await alternate(options.rounds, { sustained, floor });
    const msgsPerSec = median(rates.sustained);
    const floorPerSec = median(rates.floor);

    // Latency at half the sustained rate: the time a message takes when it does not wait in a backlog.
    const rate = Math.max(1, Math.floor(msgsPerSec / 2));
    progress(`pipeline: latency at ${rate} messages/s for ${options.latencySeconds} s`);
    const sent: Array<Promise<[string, number]>> = [];
    const total = rate * options.latencySeconds;
    const latencyStart = Date.now();
    for (let index = 0; index < total; index++) {
      const due = latencyStart + (index * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const at = Date.now();
      sent.push(publish().then((id) => [id, at]));
    }
    const published = await Promise.all(sent);
    await waitFor(
      published.map(([id]) => id),
      120_000,
    );
    const latencies = published.map(([id, at]) => processedAt.get(id)! - at);
    return {
      msgsPerSec,
      floorPerSec,
      floorRatio: msgsPerSec / floorPerSec,
      cpuMsPerMessage: {
        pipeline: {
          functionMs: cpu.pipeline.every((round) => round.functionMs !== undefined)
            ? median(cpu.pipeline.map((round) => round.functionMs!))
            : undefined,
          emulatorsAndPublisherMs: median(cpu.pipeline.map((round) => round.emulatorsAndPublisherMs)),
        },
        floor: {
          sdkMs: median(cpu.floor.map((round) => round.sdkMs)),
          emulatorMs: median(cpu.floor.map((round) => round.emulatorMs)),
        },
      },
      p50Ms: median(latencies),
      p99Ms: percentile(latencies, 0.99),
      latencyRatePerSec: rate,
      messages: options.messages,
      rounds: options.rounds,
    };
  } finally {
    await worker.stop();
    await client.close();
    await pipeline.stop();
  }
}

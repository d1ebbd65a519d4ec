// soak.*: 100,000 messages through npm start's pipeline, each emulator in a process of its own (`npm run
// emulators:embedded`, one for Firestore and one for Pub/Sub), so each one's resident memory can be read.
// The scanner re-scans a fixed set of services, as a real one does, so the stored data stops growing after
// the warm-up, which outlasts the embedded Firestore's window of replaced versions (--keep-versions-seconds):
// whatever still grows afterwards grows with the work done. Goals: resident memory at the end
// within 10 % of after the warm-up, for the function server and each emulator; the last tenth's throughput
// at least 0.9 of the first tenth's.
import { readFile } from "node:fs/promises";
import { startPipeline, type OutcomeEvent } from "@scan-ingest/pipeline";
import { emulatorPubSub } from "@scan-ingest/pipeline/clients";
import { startEmbeddedCli } from "./emulators.ts";
import { progress } from "./measure.ts";

/** Services the scanner keeps re-scanning; each message is a newer scan of one of them. */
const SERVICES = 1_000;
/** Responses each service alternates between, so its history saturates during the warm-up. */
const RESPONSES = 3;
/** Messages published but not yet processed, at most: the scanner's pace follows the pipeline's. */
const IN_FLIGHT = 2_000;
const BATCHING = { maxMessages: 1000, maxMilliseconds: 10 };
const SETTLE_MS = 10_000;

export interface SoakFigures {
  messages: number;
  warmUpMessages: number;
  /** End ÷ after the warm-up, minus one, of each process's resident memory. */
  rssGrowth: { functionServer: number; firestore: number; pubsub: number };
  rssMiB: Record<"functionServer" | "firestore" | "pubsub", { afterWarmUp: number; end: number }>;
  /** Messages per second of the last tenth ÷ of the first tenth (after the warm-up). */
  throughputRatio: number;
  /** Messages per second of each tenth. */
  tenthsPerSec: number[];
}

/** Resident memory of a process, from /proc (Linux), in MiB. */
async function rssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) throw new Error("the process is not running");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kib) / 1024;
}

/** The scan of message `index`: service index % SERVICES, one second newer each time round. */
function scanOf(index: number, baseSeconds: number): Buffer {
  const service = index % SERVICES;
  return Buffer.from(
    JSON.stringify({
      ip: `10.9.${service >> 8}.${service & 255}`,
      port: 443,
      service: "HTTP",
      timestamp: baseSeconds + Math.floor(index / SERVICES),
      data_version: 2,
      data: {
        response_str: `HTTP/1.1 200 OK\r\nServer: soak ${((index / SERVICES) % RESPONSES) | 0}\r\n\r\n`,
      },
    }),
    "utf8",
  );
}

export async function benchSoak(options: { messages: number; warmUpMessages: number }): Promise<SoakFigures> {
  const { messages, warmUpMessages } = options;
  const total = warmUpMessages + messages;
  progress(`soak: starting the pipeline, each emulator in its own process`);
  const firestoreProcess = await startEmbeddedCli();
  const pubsubProcess = await startEmbeddedCli();
  let done = 0;
  const pipeline = await startPipeline({
    firestoreHost: firestoreProcess.firestoreHost,
    pubsubHost: pubsubProcess.pubsubHost,
    functionEnv: { SERVICES_COLLECTION: "soak" },
    onOutcome: (event: OutcomeEvent) => {
      if (event.outcome !== "failed") done++;
    },
    onOutput: (line) => {
      if (line.stream === "stderr") progress(`soak ${line.instance ?? ""}| ${line.text}`);
    },
  });
  const client = emulatorPubSub({ host: pipeline.pubsubHost, projectId: pipeline.projectId });
  const topic = client.topic(pipeline.topic, { batching: BATCHING });
  // Every scan in the past, the newest one second before the soak began.
  const baseSeconds = Math.floor(Date.now() / 1000) - Math.ceil(total / SERVICES) - 1;
  const memory = async () => ({
    functionServer: await rssMiB(pipeline.instances[0]!.pid),
    firestore: await rssMiB(firestoreProcess.child.pid),
    pubsub: await rssMiB(pubsubProcess.child.pid),
  });
  let published = 0;
  /** Publishes up to message `until`, keeping at most IN_FLIGHT unprocessed; resolves once all are processed. */
  const run = async (until: number) => {
    while (done < until) {
      const room = Math.min(until - published, IN_FLIGHT - (published - done));
      const batch: Array<Promise<string>> = [];
      for (let sent = 0; sent < room; sent++)
        batch.push(topic.publishMessage({ data: scanOf(published++, baseSeconds) }));
      await Promise.all(batch);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  /**
   * Each process's memory once the pipeline has been idle for SETTLE_MS, so that V8's memory reducer has run
   * in each: taken the same way after the warm-up and at the end, it compares what is kept, not garbage.
   */
  const settledMemory = async () => {
    progress(`soak: idle for ${SETTLE_MS / 1000} s before reading each process's memory`);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return memory();
  };
  try {
    progress(`soak: ${warmUpMessages} messages of warm-up over ${SERVICES} services`);
    await run(warmUpMessages);
    const afterWarmUp = await settledMemory();
    const tenth = messages / 10;
    const tenthsPerSec: number[] = [];
    for (let part = 1; part <= 10; part++) {
      const started = performance.now();
      await run(warmUpMessages + part * tenth);
      tenthsPerSec.push((tenth / (performance.now() - started)) * 1000);
      progress(
        `soak: ${part * tenth} of ${messages} messages, ${tenthsPerSec.at(-1)!.toFixed(0)} msg/s this tenth`,
      );
    }
    const end = await settledMemory();
    const growth = (name: keyof typeof end) => end[name] / afterWarmUp[name] - 1;
    return {
      messages,
      warmUpMessages,
      rssGrowth: {
        functionServer: growth("functionServer"),
        firestore: growth("firestore"),
        pubsub: growth("pubsub"),
      },
      rssMiB: {
        functionServer: { afterWarmUp: afterWarmUp.functionServer, end: end.functionServer },
        firestore: { afterWarmUp: afterWarmUp.firestore, end: end.firestore },
        pubsub: { afterWarmUp: afterWarmUp.pubsub, end: end.pubsub },
      },
      throughputRatio: tenthsPerSec.at(-1)! / tenthsPerSec[0]!,
      tenthsPerSec: tenthsPerSec.map((rate) => Math.round(rate)),
    };
  } finally {
    await client.close();
    await pipeline.stop();
    await pubsubProcess.stop();
    await firestoreProcess.stop();
  }
}

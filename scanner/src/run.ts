import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { generateScan, unixSeconds, type GeneratedScan } from "./generate.ts";
import type { ScannerOptions } from "./options.ts";
import { createPublisher, type Publisher } from "./publish.ts";
import { createRandom, freshSeed } from "./random.ts";
import { openRecord, type RecordFile } from "./record.ts";

/** Counts so far, reported every few seconds while the scanner runs. */
export type Progress = {
  published: number;
  errors: number;
  inFlight: number;
  elapsedSeconds: number;
  /** Messages accepted per second since the previous report. */
  ratePerSecond: number;
};

/** What a finished run did; `errors` counts publishes Pub/Sub never accepted. */
export type ScannerSummary = {
  published: number;
  errors: number;
  elapsedSeconds: number;
  ratePerSecond: number;
  seed: string;
  firstError?: string;
};

export type RunHooks = {
  /** Aborting stops drawing new scans; what was queued is still flushed. */
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
  /** Called once per message Pub/Sub accepted (in-process users such as `npm start` count with it). */
  onPublished?: (messageId: string, scan: GeneratedScan) => void;
};

/** Pub/Sub that does not answer the topic check within this time is reported as unreachable. */
export const CONNECT_TIMEOUT_MS = 5_000;
// Past this many unanswered publishes the scanner waits, so a slow Pub/Sub bounds memory instead of growing it.
const MAX_IN_FLIGHT = 20_000;
// Messages queued per turn of the event loop before callbacks get a chance to run.
const MAX_BURST = 2_000;

/** Runs the scanner until --count, --duration or the signal says stop; rejects only when it cannot start. */
export async function runScanner(options: ScannerOptions, hooks: RunHooks = {}): Promise<ScannerSummary> {
  const seed = options.seed ?? freshSeed();
  const record = options.record === undefined ? undefined : await openRecord(options.record);
  const publisher = createPublisher(options);
  try {
    if (!(await connect(publisher, options, hooks.signal))) return emptySummary(seed);
    return await publishAll(options, seed, publisher, record, hooks);
  } finally {
    await publisher.close().catch(() => undefined);
    await record?.close();
  }
}

/** True once the topic exists; false when the signal stopped the run first. */
async function connect(
  publisher: Publisher,
  options: ScannerOptions,
  signal?: AbortSignal,
): Promise<boolean> {
  if (signal?.aborted === true) return false;
  const aborted = new Promise<false>((resolve) => signal?.addEventListener("abort", () => resolve(false)));
  try {
    return await Promise.race([publisher.ensureTopic(CONNECT_TIMEOUT_MS).then(() => true), aborted]);
  } catch (error) {
    const where =
      options.emulatorHost === undefined
        ? `Google Pub/Sub (project ${options.project})`
        : `the Pub/Sub emulator at ${options.emulatorHost}`;
    // gax repeats every retried error; the first sentence says what happened.
    const reason = (error as Error).message.split(" : Previous errors")[0];
    throw new Error(`cannot reach ${where} to create topic ${options.topic}: ${reason}`, { cause: error });
  }
}

function emptySummary(seed: string): ScannerSummary {
  return { published: 0, errors: 0, elapsedSeconds: 0, ratePerSecond: 0, seed };
}

async function publishAll(
  options: ScannerOptions,
  seed: string,
  publisher: Publisher,
  record: RecordFile | undefined,
  hooks: RunHooks,
): Promise<ScannerSummary> {
  const random = createRandom(seed);
  const total = Math.min(
    options.count ?? Infinity,
    options.duration === undefined ? Infinity : Math.ceil(options.duration * options.rate),
  );
  const started = performance.now();
  const elapsedSeconds = () => (performance.now() - started) / 1000;
  let sent = 0;
  let published = 0;
  let errors = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  let waiting: { condition: () => boolean; resolve: () => void } | undefined;

  let reported = { published: 0, at: 0 };
  const report = setInterval(() => {
    const at = elapsedSeconds();
    const ratePerSecond = (published - reported.published) / Math.max(at - reported.at, 1e-9);
    reported = { published, at };
    hooks.onProgress?.({ published, errors, inFlight, elapsedSeconds: at, ratePerSecond });
  }, hooks.progressIntervalMs ?? 5_000);
  report.unref();

  const send = () => {
    const scan = generateScan(random, options.keyspace, unixSeconds());
    inFlight++;
    publisher.publish(scan).then(
      (messageId) => {
        published++;
        record?.write(messageId, scan);
        hooks.onPublished?.(messageId, scan);
        settle();
      },
      (error: Error) => {
        errors++;
        firstError ??= error.message;
        settle();
      },
    );
  };
  const settle = () => {
    inFlight--;
    if (waiting?.condition() === true) {
      waiting.resolve();
      waiting = undefined;
    }
  };
  const waitFor = (condition: () => boolean) =>
    condition() ? Promise.resolve() : new Promise<void>((resolve) => (waiting = { condition, resolve }));

  try {
    while (sent < total && hooks.signal?.aborted !== true) {
      // Message k is due k/rate seconds after the start: the first at once, then paced by the clock.
      const due = Math.min(total, Math.floor(elapsedSeconds() * options.rate) + 1);
      for (let burst = 0; sent < due && burst < MAX_BURST && inFlight < MAX_IN_FLIGHT; burst++, sent++)
        send();
      if (inFlight >= MAX_IN_FLIGHT) await waitFor(() => inFlight <= MAX_IN_FLIGHT / 2);
      else if (sent < due) await nextTurn();
      else if (sent < total) await pause(sent / options.rate - elapsedSeconds(), hooks.signal);
    }
    await publisher.flush();
    await waitFor(() => inFlight === 0);
  } finally {
    clearInterval(report);
  }
  const elapsed = elapsedSeconds();
  const summary: ScannerSummary = {
    published,
    errors,
    elapsedSeconds: elapsed,
    ratePerSecond: published / Math.max(elapsed, 1e-9),
    seed,
  };
  if (firstError !== undefined) summary.firstError = firstError;
  return summary;
}

/** Waits until the next message is due, or until the signal aborts. */
async function pause(seconds: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(Math.max(0, Math.min(seconds * 1000, 1_000)), undefined, { signal });
  } catch {
    // Aborted: the loop sees the signal and stops.
  }
}

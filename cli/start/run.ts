// One run of `npm start` once its flags are read: start the pipeline and its console, run the scanner, drain,
// print the summary, stop everything; the exit status is returned, never acted on here.
import { percentiles } from "@scan-ingest/console/feed";
import {
  acknowledged,
  PipelineStartError,
  processed as processedOf,
  startPipeline,
  type OutcomeEvent,
  type OutputLine,
  type Pipeline,
} from "@scan-ingest/pipeline";
import { freshSeed, runScanner, type ScannerSummary } from "@scan-ingest/scanner";
import type { StartOptions } from "./args.ts";
import { startPipelineConsole, type PipelineConsole } from "./console.ts";
import type { Screen } from "./screen.ts";
import {
  formatSummary,
  summaryJson,
  ZERO,
  type Counts,
  type Percentiles,
  type SummaryFacts,
} from "./status.ts";

// Drain after the scanner stops: give up once nothing was processed for this long (retries back off to 10 s).
const DRAIN_STALL_MS = 30_000;
/** After Ctrl-C: what arrives within this time is counted, the rest is reported as not processed. */
export const INTERRUPT_DRAIN_MS = 5_000;

/** What a run talks to: the process's streams and signals in main.ts, stand-ins in a test. */
export interface StartIo {
  /** stderr: notices and the live status line. */
  screen: Screen;
  /** Where the summary and the `export` lines go; with --json, the summary's JSON object alone. */
  stdout: { write(text: string): unknown };
  /** Aborted at the first Ctrl-C: the scanner stops and the pipeline drains for INTERRUPT_DRAIN_MS. */
  signal: AbortSignal;
  /** Told the pipeline as soon as it runs, so a second Ctrl-C can kill its function servers. */
  onStarted?: (pipeline: Pipeline) => void;
}

/** Runs the pipeline and the scanner until done or interrupted; resolves to the exit status (0, or 1 on a failure). */
export async function run(options: StartOptions, io: StartIo): Promise<number> {
  const { screen } = io;
  let web: PipelineConsole | undefined;
  let lastOutcomeAt: number | undefined;
  const kind = options.emulators === "google" ? "Google's" : "embedded";
  const where = (host: string | undefined, name: string, variable: string) =>
    host === undefined ? `${kind} ${name}` : `${name} at ${host} (${variable})`;
  const servers = options.duplicateStorm
    ? `a duplicate storm of ${options.instances} function servers`
    : `${options.instances} function server(s)`;
  screen.say(
    `starting: build, ${where(options.firestoreHost, "Firestore", "FIRESTORE_EMULATOR_HOST")}, ` +
      `${where(options.pubsubHost, "Pub/Sub", "PUBSUB_EMULATOR_HOST")}, ${servers}`,
  );
  let counts: Counts = { ...ZERO };
  const latencies = createLatencies();
  let saidPermanent = false;
  let running: Pipeline;
  try {
    running = await startPipeline({
      emulators: options.emulators,
      instances: options.instances,
      duplicateStorm: options.duplicateStorm,
      projectId: options.scanner.project,
      ...(options.firestoreHost === undefined
        ? { firestorePort: options.firestorePort }
        : { firestoreHost: options.firestoreHost }),
      ...(options.pubsubHost === undefined
        ? { pubsubPort: options.pubsubPort }
        : { pubsubHost: options.pubsubHost }),
      functionPort: options.functionPort,
      // The read API just below the function servers' ports (8089 by default), or a free one.
      apiPort: options.functionPort === 0 ? 0 : options.functionPort - 1,
      topic: options.scanner.topic,
      onOutput: (line) => screen.print(outputText(line)),
      onOutcome: (event) => {
        lastOutcomeAt = event.at;
        latencies.add(event);
        web?.outcome(event);
        // Said once: every redelivery of every message would repeat it until the cause is fixed.
        if (event.failure === "permanent" && !saidPermanent) {
          saidPermanent = true;
          screen.say(
            `function ${event.instance}: a permanent failure, no redelivery will succeed: ${event.fix}`,
          );
        }
      },
    });
  } catch (error) {
    if (!(error instanceof PipelineStartError)) throw error;
    screen.say(`cannot start: ${error.message}${flagHint(error)}`);
    return 1;
  }
  io.onStarted?.(running);
  try {
    web = await startPipelineConsole(running, {
      port: options.consolePort,
      published: () => counts.published,
      emulators: kind,
    });
  } catch (error) {
    const taken = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
    screen.say(
      `cannot start the console: ${(error as Error).message}` +
        (taken ? " (flag --console-port N; 0 picks a free port)" : ""),
    );
    await running.stop();
    screen.say("stopped");
    return 1;
  }
  printReady(running, web, io, options.json);
  const stopping = { running, web, options, io, latencies };
  if (io.signal.aborted) return finish(stopping, counts, undefined, "interrupted");

  const seed = options.scanner.seed ?? freshSeed();
  const started = Date.now();
  let lastPublished = started;
  const current = (): Counts => ({ published: counts.published, ...running.totals() });
  const shares = () => running.instanceTotals().map(acknowledged);
  const status = screen.startStatus(current, shares);
  const rate = options.scanner.rate;
  screen.say(`scanner: ${rate} message(s)/s to ${running.topic}, seed ${seed}; Ctrl-C stops`);
  let summary: ScannerSummary | undefined;
  try {
    summary = await runScanner(
      { ...options.scanner, seed, emulatorHost: running.pubsubHost, topic: running.topic },
      {
        signal: io.signal,
        onPublished: () => {
          counts.published++;
          lastPublished = Date.now();
        },
      },
    );
  } catch (error) {
    status.stop();
    screen.say(`scanner: ${(error as Error).message}`);
    await web.close();
    await running.stop();
    return 1;
  }
  const left = await drain(running, () => counts.published * running.subscriptions.length, io);
  status.stop();
  counts = current();
  const timing = { started, lastPublished, lastOutcome: lastOutcomeAt ?? started };
  return finish(stopping, counts, summary, left, timing);
}

/** Waits for the pipeline to process what was published; undefined when it did, else what is left. */
async function drain(running: Pipeline, expected: () => number, io: StartIo): Promise<string | undefined> {
  const processed = () => processedOf(running.totals());
  if (!io.signal.aborted) io.screen.say("scanner done; waiting for the function servers to finish");
  let progressAt = Date.now();
  let last = processed();
  for (;;) {
    const timeoutMs = io.signal.aborted ? INTERRUPT_DRAIN_MS : 5_000;
    try {
      await running.waitForDrain({ timeoutMs, expectedOutcomes: expected() });
      return undefined;
    } catch (error) {
      const now = processed();
      if (now !== last) [last, progressAt] = [now, Date.now()];
      if (io.signal.aborted || Date.now() - progressAt >= DRAIN_STALL_MS) return (error as Error).message;
    }
  }
}

/** Prints the summary, stops the console and the pipeline; 1 when something was left or failed to publish. */
async function finish(
  {
    running,
    web,
    options,
    io,
    latencies,
  }: {
    running: Pipeline;
    web: PipelineConsole;
    options: StartOptions;
    io: StartIo;
    latencies: Latencies;
  },
  counts: Counts,
  summary: ScannerSummary | undefined,
  left: string | undefined,
  timing = { started: Date.now(), lastPublished: Date.now(), lastOutcome: Date.now() },
): Promise<number> {
  const facts: SummaryFacts = {
    counts,
    instances: options.instances,
    duplicateStorm: options.duplicateStorm,
    byInstance: running.instanceTotals(),
    elapsedSeconds: (Date.now() - timing.started) / 1000,
    publishSeconds: (timing.lastPublished - timing.started) / 1000,
    processSeconds: (timing.lastOutcome - timing.started) / 1000,
    publishErrors: summary?.errors ?? 0,
    latency: latencies.percentiles(),
    ...(left === undefined || left === "interrupted" ? {} : { left }),
  };
  if (options.json) {
    // A script reads stdout; a person watching CI still sees the summary on stderr.
    io.screen.print(formatSummary(facts).trimEnd());
    io.stdout.write(`${JSON.stringify(summaryJson(facts))}\n`);
  } else {
    io.stdout.write(formatSummary(facts));
  }
  if (summary?.firstError !== undefined) io.screen.say(`first publish error: ${summary.firstError}`);
  await web.close();
  await running.stop();
  io.screen.say("stopped");
  const interrupted = io.signal.aborted;
  return !interrupted && (left !== undefined || (summary?.errors ?? 0) > 0) ? 1 : 0;
}

/** Where everything listens, and the variables another terminal needs to look at the data. */
function printReady(
  running: Pipeline,
  web: PipelineConsole,
  { screen, stdout }: StartIo,
  json: boolean,
): void {
  if (running.front) {
    const [subscription] = running.subscriptions;
    screen.say(`push subscription ${subscription!.name} -> ${running.front.url}, round robin to:`);
    for (const instance of running.instances)
      screen.say(`function ${instance.index} on http://127.0.0.1:${instance.port}`);
  } else {
    for (const instance of running.instances)
      screen.say(
        `function ${instance.index} on http://127.0.0.1:${instance.port} <- push subscription ${instance.subscription}`,
      );
  }
  if (running.api) {
    const url = `http://127.0.0.1:${running.api.port}`;
    screen.say(
      `read API (scansApi) on ${url}/v1/services, docs on ${url}/docs; npm run scans -- --api ${url} list`,
    );
  }
  screen.say(`console on ${web.url}: the stored services, the rejects and the live pipeline`);
  screen.say(
    `dead letters (after 5 attempts): ${running.deadLetterTopic} -> ${running.deadLetterSubscription}`,
  );
  screen.say("to look at the data from another terminal, run these and then: npm run scans -- list");
  const exports = [
    `export FIRESTORE_EMULATOR_HOST=${running.firestoreHost}`,
    `export PUBSUB_EMULATOR_HOST=${running.pubsubHost}`,
    `export GOOGLE_CLOUD_PROJECT=${running.projectId}`,
  ];
  // With --json, stdout holds the summary's object alone.
  if (json) for (const line of exports) screen.print(line);
  else stdout.write(`${exports.join("\n")}\n`);
}

type Latencies = ReturnType<typeof createLatencies>;

/** Every acknowledged delivery's function time and publish → acknowledged lag (8 bytes each), for the summary. */
function createLatencies() {
  const functionMs: number[] = [];
  const lagMs: number[] = [];
  const of = (values: number[]): Percentiles => {
    const found = percentiles(values, 0);
    const tenth = (ms: number) => Math.round(ms * 10) / 10;
    return found === null ? null : { p50: tenth(found.p50), p99: tenth(found.p99), count: found.count };
  };
  return {
    add(event: OutcomeEvent) {
      if (event.outcome === "failed") return;
      functionMs.push(event.latencyMs);
      if (event.lagMs !== undefined) lagMs.push(event.lagMs);
    },
    percentiles: () => ({ functionMs: of(functionMs), publishToAcknowledgedMs: of(lagMs) }),
  };
}

function flagHint(error: PipelineStartError): string {
  const flag = { firestore: "--firestore-port", pubsub: "--pubsub-port", function: "--function-port" }[
    error.part as "firestore" | "pubsub" | "function"
  ];
  return error.port === undefined || flag === undefined ? "" : ` (flag ${flag} N; 0 picks a free port)`;
}

function outputText(line: OutputLine): string {
  return line.instance === undefined ? `npm start: ${line.text}` : `function ${line.instance} | ${line.text}`;
}

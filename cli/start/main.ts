#!/usr/bin/env node
// `npm start`: the whole pipeline on this machine (@scan-ingest/pipeline) and the scanner in-process, with a live
// status line; stops after --count/--duration or Ctrl-C, drains, prints a summary and stops everything.
import {
  PipelineStartError,
  processed as processedOf,
  startPipeline,
  type OutputLine,
  type Pipeline,
} from "@scan-ingest/pipeline";
import { freshSeed, runScanner, type ScannerSummary } from "@scan-ingest/scanner";
import { startPipelineConsole, type PipelineConsole } from "./console.ts";
import { parseStartArgs, StartUsageError, USAGE, type StartOptions } from "./args.ts";
import { fitStatus, formatStatus, formatSummary, ZERO, type Counts } from "./status.ts";

// Drain after the scanner stops: give up once nothing was processed for this long (retries back off to 10 s).
const DRAIN_STALL_MS = 30_000;
// After Ctrl-C: what arrives within this time is counted, the rest is reported as not processed.
const INTERRUPT_DRAIN_MS = 5_000;

const screen = createScreen();
const controller = new AbortController();
let pipeline: Pipeline | undefined;
let web: PipelineConsole | undefined;
let lastOutcomeAt: number | undefined;

process.on("SIGINT", interrupt);
process.on("SIGTERM", interrupt);

const code = await main(process.argv.slice(2));
screen.close();
process.exit(code);

function interrupt(signal: NodeJS.Signals): void {
  if (controller.signal.aborted) {
    // A second Ctrl-C: no drain. The function servers also exit by themselves once this process is gone.
    screen.say(`${signal} again: stopping now`);
    for (const instance of pipeline?.instances ?? []) if (instance.pid) process.kill(instance.pid, "SIGKILL");
    process.exit(130);
  }
  screen.say(
    `${signal}: stopping the scanner, draining for up to ${INTERRUPT_DRAIN_MS / 1000} s (Ctrl-C again: at once)`,
  );
  controller.abort();
}

async function main(argv: string[]): Promise<number> {
  let options: StartOptions | "help";
  try {
    options = parseStartArgs(argv, process.env);
  } catch (error) {
    if (!(error instanceof StartUsageError)) throw error;
    process.stderr.write(`npm start: ${error.message}\n(npm start -- --help lists the flags)\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }

  const kind = options.emulators === "google" ? "Google's" : "embedded";
  const where = (host: string | undefined, name: string, variable: string) =>
    host === undefined ? `${kind} ${name}` : `${name} at ${host} (${variable})`;
  screen.say(
    `starting: build, ${where(options.firestoreHost, "Firestore", "FIRESTORE_EMULATOR_HOST")}, ` +
      `${where(options.pubsubHost, "Pub/Sub", "PUBSUB_EMULATOR_HOST")}, ${options.instances} function server(s)`,
  );
  let counts: Counts = { ...ZERO };
  let saidPermanent = false;
  try {
    pipeline = await startPipeline({
      emulators: options.emulators,
      instances: options.instances,
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
  const running = pipeline;
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
  printReady(running, web);
  if (controller.signal.aborted) return finish(running, options, counts, undefined, "interrupted");

  const seed = options.scanner.seed ?? freshSeed();
  const started = Date.now();
  let lastPublished = started;
  const current = (): Counts => ({ published: counts.published, ...running.totals() });
  const status = screen.startStatus(() => current());
  const rate = options.scanner.rate;
  screen.say(`scanner: ${rate} message(s)/s to ${running.topic}, seed ${seed}; Ctrl-C stops`);
  let summary: ScannerSummary | undefined;
  try {
    summary = await runScanner(
      { ...options.scanner, seed, emulatorHost: running.pubsubHost, topic: running.topic },
      {
        signal: controller.signal,
        onPublished: () => {
          counts.published++;
          lastPublished = Date.now();
        },
      },
    );
  } catch (error) {
    status.stop();
    screen.say(`scanner: ${(error as Error).message}`);
    await web?.close();
    await running.stop();
    return 1;
  }
  const left = await drain(running, () => counts.published * options.instances);
  status.stop();
  counts = current();
  const timing = { started, lastPublished, lastOutcome: lastOutcomeAt ?? started };
  return finish(running, options, counts, summary, left, timing);
}

/** Waits for the pipeline to process what was published; undefined when it did, else what is left. */
async function drain(running: Pipeline, expected: () => number): Promise<string | undefined> {
  const processed = () => processedOf(running.totals());
  if (!controller.signal.aborted) screen.say("scanner done; waiting for the function servers to finish");
  let progressAt = Date.now();
  let last = processed();
  for (;;) {
    const timeoutMs = controller.signal.aborted ? INTERRUPT_DRAIN_MS : 5_000;
    try {
      await running.waitForDrain({ timeoutMs, expectedOutcomes: expected() });
      return undefined;
    } catch (error) {
      const now = processed();
      if (now !== last) [last, progressAt] = [now, Date.now()];
      if (controller.signal.aborted || Date.now() - progressAt >= DRAIN_STALL_MS)
        return (error as Error).message;
    }
  }
}

async function finish(
  running: Pipeline,
  options: StartOptions,
  counts: Counts,
  summary: ScannerSummary | undefined,
  left: string | undefined,
  timing = { started: Date.now(), lastPublished: Date.now(), lastOutcome: Date.now() },
): Promise<number> {
  process.stdout.write(
    formatSummary({
      counts,
      instances: options.instances,
      elapsedSeconds: (Date.now() - timing.started) / 1000,
      publishSeconds: (timing.lastPublished - timing.started) / 1000,
      processSeconds: (timing.lastOutcome - timing.started) / 1000,
      publishErrors: summary?.errors ?? 0,
      ...(left === undefined || left === "interrupted" ? {} : { left }),
    }),
  );
  if (summary?.firstError !== undefined) screen.say(`first publish error: ${summary.firstError}`);
  await web?.close();
  await running.stop();
  screen.say("stopped");
  const interrupted = controller.signal.aborted;
  return !interrupted && (left !== undefined || (summary?.errors ?? 0) > 0) ? 1 : 0;
}

function printReady(running: Pipeline, web: PipelineConsole): void {
  for (const instance of running.instances) {
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
  process.stdout.write(
    [
      `export FIRESTORE_EMULATOR_HOST=${running.firestoreHost}`,
      `export PUBSUB_EMULATOR_HOST=${running.pubsubHost}`,
      `export GOOGLE_CLOUD_PROJECT=${running.projectId}`,
      "",
    ].join("\n"),
  );
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

/** stderr with one status line: rewritten in place on a terminal, else printed every few seconds. */
function createScreen() {
  const tty = process.stderr.isTTY === true;
  let status = "";
  const clear = () => {
    if (tty && status !== "") process.stderr.write("\r\x1b[2K");
  };
  const draw = () => {
    // One character short of the width, or the terminal wraps and \r no longer returns to the start.
    const width = (process.stderr.columns || 200) - 1;
    if (tty && status !== "") process.stderr.write(fitStatus(status, width));
  };
  const print = (text: string) => {
    clear();
    process.stderr.write(`${text}\n`);
    draw();
  };
  return {
    print,
    say: (text: string) => print(`npm start: ${text}`),
    startStatus(read: () => Counts) {
      const started = performance.now();
      let previous = { counts: read(), at: performance.now() };
      const timer = setInterval(
        () => {
          const now = { counts: read(), at: performance.now() };
          const line = formatStatus(
            now.counts,
            previous.counts,
            (now.at - previous.at) / 1000,
            (now.at - started) / 1000,
          );
          previous = now;
          if (tty) {
            clear();
            status = line;
            draw();
          } else {
            process.stderr.write(`${line}\n`);
          }
        },
        tty ? 1_000 : 5_000,
      );
      return {
        stop() {
          clearInterval(timer);
          clear();
          status = "";
        },
      };
    },
    close() {
      clear();
      status = "";
    },
  };
}

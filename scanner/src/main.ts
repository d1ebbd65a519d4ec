#!/usr/bin/env node
// The scanner's command line: flags and environment in, progress on stderr, exit status out.
import { OptionsError, parseOptions, USAGE } from "./options.ts";
import { runScanner, type Progress, type ScannerSummary } from "./run.ts";

const controller = new AbortController();
const stop = (signal: NodeJS.Signals) => {
  if (controller.signal.aborted) process.exit(130); // a second Ctrl-C does not wait for the flush
  process.stderr.write(`scanner: ${signal}, flushing what is queued\n`);
  controller.abort();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

process.exitCode = await main(process.argv.slice(2));

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseOptions(argv, process.env);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`scanner: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const target = options.emulatorHost ?? "Google Pub/Sub";
  process.stderr.write(`scanner: publishing to ${options.topic} (project ${options.project}) at ${target}\n`);
  try {
    const summary = await runScanner(options, { signal: controller.signal, onProgress: printProgress });
    printSummary(summary);
    return summary.errors === 0 ? 0 : 1;
  } catch (error) {
    process.stderr.write(`scanner: ${(error as Error).message}\n`);
    return 1;
  }
}

function printProgress(progress: Progress): void {
  process.stderr.write(
    `scanner: ${progress.published} published, ${progress.ratePerSecond.toFixed(0)}/s, ` +
      `${progress.inFlight} in flight, ${progress.errors} errors\n`,
  );
}

function printSummary(summary: ScannerSummary): void {
  process.stderr.write(
    `scanner: done: ${summary.published} published in ${summary.elapsedSeconds.toFixed(1)} s ` +
      `(${summary.ratePerSecond.toFixed(0)}/s), ${summary.errors} errors, seed ${summary.seed}\n`,
  );
  if (summary.firstError !== undefined) process.stderr.write(`scanner: first error: ${summary.firstError}\n`);
}

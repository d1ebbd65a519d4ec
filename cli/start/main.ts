#!/usr/bin/env node
// `npm start`: the whole pipeline on this machine (@scan-ingest/pipeline) and the scanner in-process, with a live
// status line; stops after --count/--duration or Ctrl-C, drains, prints a summary and stops everything.
// This file wires the process to run.ts: argv and the environment, stdout and stderr, Ctrl-C, the exit status.
import type { Pipeline } from "@scan-ingest/pipeline";
import { parseStartArgs, StartUsageError, USAGE, type StartOptions } from "./args.ts";
import { INTERRUPT_DRAIN_MS, run } from "./run.ts";
import { createScreen } from "./screen.ts";

const screen = createScreen(process.stderr);
const controller = new AbortController();
let pipeline: Pipeline | undefined;

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

/** Reads the flags, then runs; resolves to the exit status (2 on a usage error). */
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
  return run(options, {
    screen,
    stdout: process.stdout,
    signal: controller.signal,
    onStarted: (started) => (pipeline = started),
  });
}

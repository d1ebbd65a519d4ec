// The Firebase emulator suite end to end: `npm run emulators:firebase -- [--java] --exec` runs workload.ts, which
// publishes to scan-topic and compares Firestore with the model; this collects the CLI's output and the result.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
/** How long one run may take; the tests allow more, so a stuck run still reports its output. */
export const RUN_LIMIT_MS = 240_000;
const limitMs = RUN_LIMIT_MS;

/** The workload every set-up runs: out of order, republished, in the other data version, and broken. */
export const WORKLOAD = { seed: "firebase-suite", messages: 60, ips: 4, ports: 3 };
/** Messages published at once before the model is checked: each in flight is a process of the emulator's. */
export const WAVE = 5;

export interface WorkloadResult {
  published: number;
  /** Every way services and rejects differ from the model when the wait ended; empty when they match. */
  problems: string[];
  /** What a web client reading services/{key} got: "permission-denied" when the rules hold. */
  webClient?: string;
}

export interface SuiteRun {
  code: number | null;
  /** Everything the wrapper and the Firebase CLI printed, both streams interleaved. */
  output: string;
  result: WorkloadResult | undefined;
  /** From the command's start to the first `stored` line of the function, as a user waits for it. */
  firstStoredMs: number | undefined;
}

/** The caller's environment without emulator settings, with this Node first on PATH, as a fresh terminal. */
export function freshEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
  };
  for (const name of [
    "FIRESTORE_EMULATOR_HOST",
    "PUBSUB_EMULATOR_HOST",
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
  ])
    delete env[name];
  return env;
}

/** Runs the workload under the suite; `env` is the command's whole environment. */
export async function runSuite(options: {
  java: boolean;
  rules: boolean;
  env: NodeJS.ProcessEnv;
}): Promise<SuiteRun> {
  const out = join(mkdtempSync(join(tmpdir(), "firebase-suite-")), "result.json");
  const command = `node test/firebase/workload.ts ${out}${options.rules ? " --rules" : ""}`;
  const started = performance.now();
  let firstStoredMs: number | undefined;
  let output = "";
  const child = spawn(
    process.execPath,
    ["cli/firebase-suite/main.ts", ...(options.java ? ["--java"] : []), "--exec", command],
    { cwd: root, env: options.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (firstStoredMs === undefined && output.includes('"outcome":"stored"'))
      firstStoredMs = Math.round(performance.now() - started);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  // Ended well before the test's own timeout, so that a run that hangs fails with what it printed.
  const stopping = setTimeout(() => {
    output += `\n(test: no exit after ${limitMs / 1000} s: SIGTERM)\n`;
    child.kill("SIGTERM");
  }, limitMs);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(stopping);
  let result: WorkloadResult | undefined;
  try {
    result = JSON.parse(readFileSync(out, "utf8")) as WorkloadResult;
  } catch {
    result = undefined;
  }
  return { code, output, result, firstStoredMs };
}

/** The function's own log lines as the CLI relayed them (`>  {...}`), parsed. */
export function functionLogLines(output: string): Array<{ outcome?: string; severity?: string }> {
  return output
    .split("\n")
    .map((line) => /^>\s+(\{.*\})\s*$/.exec(line)?.[1])
    .filter((json): json is string => json !== undefined)
    .map((json) => JSON.parse(json) as { outcome?: string; severity?: string });
}

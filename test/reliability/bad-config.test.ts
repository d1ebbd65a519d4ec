// Reliability 4: every variable of docs/contract.md §6, set to an invalid value, makes the built
// bundle refuse to start under the real functions-framework CLI: a non-zero exit and a message naming the
// variable. Needs no emulator.
import { spawn } from "node:child_process";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildFunction } from "../../functions/build.ts";

const root = new URL("../../", import.meta.url).pathname;
const frameworkCli = join(root, "node_modules/@google-cloud/functions-framework/build/src/main.js");
const START_TIMEOUT_MS = 30_000;
let source: string;

beforeAll(async () => {
  source = await mkdtemp(join(tmpdir(), "reliability-dist-"));
  await buildFunction(source);
  // Stands in for the `npm install` the runtime does from dist/package.json.
  await symlink(join(root, "node_modules"), join(source, "node_modules"));
}, 60_000);

afterAll(async () => {
  if (source) await rm(source, { recursive: true, force: true });
});

interface Start {
  /** Exit code, or "listening" when the server came up (it is then stopped). */
  result: number | "listening";
  output: string;
}

/** Starts the bundle under the functions-framework CLI with exactly this environment (plus PATH). */
function start(env: Record<string, string>): Promise<Start> {
  return new Promise((resolve, reject) => {
    const args = [
      frameworkCli,
      "--source",
      source,
      "--target",
      "ingestScan",
      "--signature-type",
      "cloudevent",
    ];
    // Port 0: the OS picks one, so parallel starts never collide.
    const child = spawn(process.execPath, [...args, "--port", "0"], {
      env: { PATH: process.env.PATH ?? "", METADATA_SERVER_DETECTION: "none", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`neither exited nor listened within ${START_TIMEOUT_MS / 1000} s:\n${output}`));
    }, START_TIMEOUT_MS);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Serving function...")) child.kill("SIGKILL");
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ result: output.includes("Serving function...") ? "listening" : (code ?? -1), output });
    });
  });
}

const valid = { GOOGLE_CLOUD_PROJECT: "demo-scan", FIRESTORE_EMULATOR_HOST: "127.0.0.1:8080" };

test("with a valid environment the same bundle starts and listens", async () => {
  expect((await start(valid)).result).toBe("listening");
});

test.each([
  ["GOOGLE_CLOUD_PROJECT", "my project"],
  ["GOOGLE_CLOUD_PROJECT", "demo/scan"],
  ["GCLOUD_PROJECT", "Demo Scan"],
  ["FIRESTORE_EMULATOR_HOST", "localhost"],
  ["FIRESTORE_EMULATOR_HOST", "http://127.0.0.1:8080"],
  ["PUBSUB_EMULATOR_HOST", "127.0.0.1"],
  ["PUBSUB_EMULATOR_HOST", "127.0.0.1:8085/v1"],
  ["SERVICES_COLLECTION", "services/x"],
  ["SERVICES_COLLECTION", "__services__"],
  ["REJECTS_COLLECTION", ".."],
  ["REJECTS_COLLECTION", "r".repeat(1501)],
  ["MAX_RESPONSE_BYTES", "abc"],
  ["MAX_RESPONSE_BYTES", "0"],
  ["MAX_RESPONSE_BYTES", "1e3"],
  ["MAX_RESPONSE_BYTES", "-1"],
  ["MAX_RESPONSE_BYTES", "491521"],
  ["MAX_REJECT_BYTES", "1.5"],
  ["MAX_REJECT_BYTES", "901121"],
  ["MAX_REJECT_BYTES", "0"],
  ["MAX_CLOCK_SKEW_SECONDS", "-1"],
  ["MAX_CLOCK_SKEW_SECONDS", "1h"],
])(
  "%s=%j stops the function at start with a message naming the variable",
  { concurrent: true },
  async (name, value) => {
    const { result, output } = await start({ ...valid, [name]: value });
    expect(result, output).not.toBe("listening");
    expect(result, output).not.toBe(0);
    expect(output).toContain(`${name} must be`);
    // First, one structured line that Cloud Logging shows as the function's error.
    const line = output.split("\n").find((text) => text.startsWith("{"));
    expect(JSON.parse(line ?? "null")).toMatchObject({
      severity: "ERROR",
      message: expect.stringContaining(`ingestScan cannot start: ${name} must be`),
    });
  },
);

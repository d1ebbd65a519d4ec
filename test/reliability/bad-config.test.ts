// Reliability 4: every variable of docs/contract.md §6, set to an invalid value, makes the built
// bundle refuse to start under the real functions-framework CLI: a non-zero exit and a message naming the
// variable. Needs no emulator.
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFunction } from "@scan-ingest/functions/build";
import { PipelineStartError, startFunctionServer } from "@scan-ingest/pipeline";
import { afterAll, beforeAll, expect, test } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
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
  /** How it failed to start (the launcher's message, with its exit), or "listening" (it is then stopped). */
  result: string;
  output: string;
}

/** Starts the bundle under the functions-framework CLI with exactly this environment (plus PATH). */
async function start(env: Record<string, string>): Promise<Start> {
  const lines: string[] = [];
  try {
    const server = await startFunctionServer({
      source,
      target: "ingestScan",
      env: { PATH: process.env.PATH ?? "", METADATA_SERVER_DETECTION: "none", ...env },
      onLine: (text) => lines.push(text),
    });
    await server.kill("SIGKILL");
    return { result: "listening", output: lines.join("\n") };
  } catch (error) {
    if (!(error instanceof PipelineStartError)) throw error;
    return { result: error.message, output: lines.join("\n") };
  }
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
    // Neither listening nor a clean exit.
    expect(result, output).toMatch(/exited before listening \((code [1-9]\d*|SIG\w+)\)/);
    expect(output).toContain(`${name} must be`);
    // First, one structured line that Cloud Logging shows as the function's error.
    const line = output.split("\n").find((text) => text.startsWith("{"));
    expect(JSON.parse(line ?? "null")).toMatchObject({
      severity: "ERROR",
      message: expect.stringContaining(`ingestScan cannot start: ${name} must be`),
    });
  },
);

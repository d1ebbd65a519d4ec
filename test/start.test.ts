// `npm start` as a user runs it: `node cli/start/main.ts` in a child process, the scanner publishing a small
// keyspace so keys collide and timestamps tie, the built function under functions-framework; then the stored
// `services` collection is compared with the model computed from the scanner's --record file. Emulators: the
// ones FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST name, else embedded ones started here.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Firestore } from "@google-cloud/firestore";
import { DEFAULT_PROJECT } from "@scan-ingest/pipeline/defaults";
import type { GeneratedScan } from "@scan-ingest/scanner";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  fitStatus,
  formatStatus,
  formatSummary,
  summaryJson,
  ZERO,
  type Counts,
  type SummaryFacts,
} from "../cli/start/status.ts";
import { expectedState } from "./reliability/model.ts";
import { emulatorFirestore } from "@scan-ingest/pipeline/clients";

const START = new URL("../cli/start/main.ts", import.meta.url).pathname;
const project = DEFAULT_PROJECT;
const external = {
  firestore: process.env.FIRESTORE_EMULATOR_HOST || undefined,
  pubsub: process.env.PUBSUB_EMULATOR_HOST || undefined,
};
let hosts: { firestore: string; pubsub: string };
let db: Firestore;
let directory: string;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "npm-start-"));
  let firestore = external.firestore;
  let pubsub = external.pubsub;
  if (firestore === undefined) {
    const embedded = await (await import("@scan-ingest/emulator-firestore")).start({ port: 0 });
    stops.push(() => embedded.stop());
    firestore = embedded.host;
  }
  if (pubsub === undefined) {
    const embedded = await (await import("@scan-ingest/emulator-pubsub")).start({ port: 0 });
    stops.push(() => embedded.stop());
    pubsub = embedded.host;
  }
  hosts = { firestore, pubsub };
  db = emulatorFirestore({ host: firestore, projectId: project });
});

afterAll(async () => {
  await db?.terminate();
  for (const stop of stops) await stop();
  await rm(directory, { recursive: true, force: true });
});

type Finished = { code: number | null; stdout: string; stderr: string };
type Running = { child: ChildProcess; finished: Promise<Finished>; output: () => string };

/** `node cli/start/main.ts ARGS` with the environment a user would have; output collected. */
function start(args: string[], env: Record<string, string | undefined>): Running {
  // A free console port unless the test names one (a later flag wins), so runs in parallel never collide.
  const child = spawn(process.execPath, [START, "--console-port", "0", ...args], {
    env: { ...process.env, FIRESTORE_EMULATOR_HOST: undefined, PUBSUB_EMULATOR_HOST: undefined, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = new Promise<Finished>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, finished, output: () => stdout + stderr };
}

/** A run against this file's emulators, with its own topic and collections so runs never meet. */
function startAgainstEmulators(name: string, args: string[]) {
  const suffix = `${name}-${process.pid}-${Date.now().toString(36)}`;
  const collections = { services: `services-start-${suffix}`, rejects: `rejects-start-${suffix}` };
  const run = start(["--topic", `scan-topic-${suffix}`, "--function-port", "0", ...args], {
    FIRESTORE_EMULATOR_HOST: hosts.firestore,
    PUBSUB_EMULATOR_HOST: hosts.pubsub,
    SERVICES_COLLECTION: collections.services,
    REJECTS_COLLECTION: collections.rejects,
  });
  return { ...run, collections };
}

type Stored = { timestamp: number; responseSha256: string; response: string };

/** Per key, what the independent model (test/reliability/model.ts) says the recorded scans must leave. */
async function modelFromRecord(path: string): Promise<{ messages: number; model: Map<string, Stored> }> {
  const lines = (await readFile(path, "utf8")).split("\n").filter((line) => line !== "");
  const published = lines.map((line) => JSON.parse(line) as { messageId: string; scan: GeneratedScan });
  const { services } = expectedState(published);
  const model = new Map(
    [...services].map(([key, service]) => [
      key,
      { timestamp: service.scannedAt, responseSha256: service.responseSha256, response: service.response },
    ]),
  );
  return { messages: lines.length, model };
}

async function storedState(collection: string): Promise<Map<string, Stored>> {
  const snapshot = await db.collection(collection).get();
  return new Map(
    snapshot.docs.map((doc) => [
      doc.id,
      {
        timestamp: doc.get("scannedAt").seconds as number,
        responseSha256: doc.get("responseSha256") as string,
        response: doc.get("response") as string,
      },
    ]),
  );
}

const summaryCount = (stdout: string, label: string): number => {
  const match = new RegExp(`^  ${label} +(\\d+)`, "m").exec(stdout);
  if (!match) throw new Error(`no "${label}" in the summary:\n${stdout}`);
  return Number(match[1]);
};

const collidingScans = (record: string, count: number) => [
  "--seed",
  "collide",
  "--count",
  String(count),
  "--rate",
  "5000",
  "--ips",
  "3",
  "--ports",
  "2",
  "--services",
  "HTTP,SSH",
  "--record",
  record,
];

// One instance, and the duplicate storm: every message through each of 3 subscriptions, each to its own server.
describe.each([
  { title: "one function instance", flags: ["--instances", "1"], subscriptions: 1 },
  { title: "a duplicate storm of 3 function servers", flags: ["--duplicate-storm", "3"], subscriptions: 3 },
])("with $title", ({ flags, subscriptions }) => {
  test("stores, for every key, the greatest (timestamp, sha256) the scanner recorded, and accounts for every message", async () => {
    const record = join(directory, `record-${subscriptions}.jsonl`);
    const run = startAgainstEmulators(`i${subscriptions}`, [...collidingScans(record, 300), ...flags]);
    const { code, stdout, stderr } = await run.finished;
    expect(code, stderr).toBe(0);

    const { messages, model } = await modelFromRecord(record);
    expect(messages).toBe(300);
    expect(model.size).toBeGreaterThan(1);
    expect(model.size).toBeLessThanOrEqual(12);
    expect(await storedState(run.collections.services)).toEqual(model);

    expect(stdout).toContain(`summary:`);
    expect(summaryCount(stdout, "published")).toBe(messages);
    const processed = ["stored", "stale", "duplicate"].map((label) => summaryCount(stdout, label));
    expect(processed.reduce((sum, count) => sum + count, 0)).toBe(subscriptions * messages);
    expect(summaryCount(stdout, "stored")).toBeGreaterThanOrEqual(model.size);
    expect(summaryCount(stdout, "rejected")).toBe(0);
    expect(summaryCount(stdout, "dead-lettered")).toBe(0);
    expect(stdout).toContain(`export FIRESTORE_EMULATOR_HOST=${hosts.firestore}\n`);
    for (let index = 1; index <= subscriptions; index++) {
      const subscription = index === 1 ? "-sub" : `-sub-${index}`;
      expect(stderr).toMatch(
        new RegExp(
          `function ${index} on http://127\\.0\\.0\\.1:\\d+ <- push subscription \\S+${subscription}\\n`,
        ),
      );
    }
  });
});

test("--instances 3 --count 600 --json: three instances share one subscription, each message is processed once, each instance takes at least a fifth, and the state is the model's", async () => {
  const record = join(directory, "record-shared.jsonl");
  const run = startAgainstEmulators("shared", [...collidingScans(record, 600), "--instances", "3", "--json"]);
  const { code, stdout, stderr } = await run.finished;
  expect(code, stderr).toBe(0);

  // stdout is the one JSON object, for scripts; the person's summary and the exports went to stderr.
  const lines = stdout.split("\n").filter((line) => line !== "");
  expect(lines, stdout).toHaveLength(1);
  const summary = JSON.parse(lines[0]!) as ReturnType<typeof summaryJson>;
  expect(stderr).toContain("summary:");
  expect(stderr).toContain(`export FIRESTORE_EMULATOR_HOST=${hosts.firestore}`);
  expect(stderr).toMatch(/push subscription \S+-sub -> http:\/\/127\.0\.0\.1:\d+, round robin to:/);

  const { messages, model } = await modelFromRecord(record);
  expect(messages).toBe(600);
  expect(await storedState(run.collections.services)).toEqual(model);
  expect(summary).toMatchObject({ instances: 3, duplicateStorm: false, subscriptions: 1, expected: 600 });
  expect(summary.counts.published).toBe(600);
  // No faults are injected, so Pub/Sub redelivers nothing: each message acknowledged exactly once, by one instance.
  expect(summary.processed).toBe(600);
  expect(summary.counts.failed).toBe(0);
  expect(summary.counts.deadLettered).toBe(0);
  expect(summary.byInstance.map((each) => each.instance)).toEqual([1, 2, 3]);
  const shares = summary.byInstance.map((each) => each.acknowledged);
  expect(shares.reduce((sum, share) => sum + share, 0)).toBe(600);
  for (const share of shares) expect(share, `shares ${shares.join("/")}`).toBeGreaterThanOrEqual(600 / 5);
  expect(summary.latencyMs.function?.count).toBe(600);
  expect(summary.latencyMs.publishToAcknowledged?.count).toBe(600);
  expect(summary.rates.processedPerSecond).toBeGreaterThan(0);
  console.log(`npm start --instances 3 --count 600: shares ${shares.join("/")}`);
});

test("Ctrl-C mid-run stops the scanner, prints a summary, exits 0 and leaves no process behind", async () => {
  // Its own emulators (embedded in the child) unless the environment names external ones.
  const run = start(
    [
      "--rate",
      "200",
      "--function-port",
      "0",
      "--firestore-port",
      "0",
      "--pubsub-port",
      "0",
      "--instances",
      "2",
    ],
    { FIRESTORE_EMULATOR_HOST: external.firestore, PUBSUB_EMULATOR_HOST: external.pubsub },
  );
  while (!run.output().includes("Ctrl-C stops")) {
    if (run.child.exitCode !== null) throw new Error(run.output());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The console it printed serves the page and the live counts while it runs.
  const consoleUrl = /console on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())?.[1];
  expect(consoleUrl, run.output()).toBeDefined();
  expect((await fetch(`${consoleUrl}/services`)).headers.get("content-type")).toBe(
    "text/html; charset=utf-8",
  );
  // The scanner publishes from its start on: wait for the first count rather than for a fixed time.
  const published = async () =>
    ((await (await fetch(`${consoleUrl}/pipeline.json`)).json()) as { totals: { published: number } }).totals
      .published;
  await expect.poll(published, { timeout: 30_000 }).toBeGreaterThan(0);
  const children = execFileSync("ps", ["-o", "pid=", "--ppid", String(run.child.pid)], { encoding: "utf8" })
    .split("\n")
    .map((line) => Number(line.trim()))
    .filter((pid) => pid > 0);
  expect(children.length).toBeGreaterThanOrEqual(2); // the two function servers
  run.child.kill("SIGINT");
  const { code, stdout, stderr } = await run.finished;
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("summary:");
  expect(summaryCount(stdout, "published")).toBeGreaterThan(0);
  const alive = children.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  expect(alive).toEqual([]);
});

describe("start-up failures", () => {
  test.each([
    [["--rate", "fast"], "--rate"],
    [["--instances", "0"], "--instances"],
    [["--instances", "2", "--duplicate-storm", "2"], "--duplicate-storm"],
    [["--bogus"], "--bogus"],
    [["--function-port"], "--function-port"],
  ])("%j exits 2 naming the flag", async (args, flag) => {
    const { code, stderr } = await start(args, {}).finished;
    expect(code).toBe(2);
    expect(stderr).toContain(flag);
  });

  test.each([
    ["the one function server's", [], "function server 1"],
    ["the front of two shared instances'", ["--instances", "2"], "the function instances' front"],
  ])(
    "%s port in use exits 1 naming the port and the flag, and stops what it started",
    async (_, flags, who) => {
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, resolve));
      const { port } = blocker.address() as { port: number };
      try {
        const run = start(["--function-port", String(port), "--count", "1", ...flags], {
          FIRESTORE_EMULATOR_HOST: hosts.firestore,
          PUBSUB_EMULATOR_HOST: hosts.pubsub,
        });
        const { code, stderr } = await run.finished;
        expect(code).toBe(1);
        expect(stderr).toContain(`${who} cannot listen on port ${port}: it is in use`);
        expect(stderr).toContain("--function-port");
      } finally {
        blocker.close();
      }
    },
  );

  test("a console port in use exits 1 naming the flag, and stops what it started", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const args = ["--console-port", String(port), "--function-port", "0", "--count", "1"];
      const run = start(args, {
        FIRESTORE_EMULATOR_HOST: hosts.firestore,
        PUBSUB_EMULATOR_HOST: hosts.pubsub,
      });
      const { code, stderr } = await run.finished;
      expect(code).toBe(1);
      expect(stderr).toContain("cannot start the console");
      expect(stderr).toContain(`${port}`);
      expect(stderr).toContain("--console-port");
      expect(stderr).toContain("stopped");
    } finally {
      blocker.close();
    }
  });

  // start() clears *_EMULATOR_HOST, so this checks the embedded path on every target.
  test("embedded Firestore on a port in use exits 1 naming the port, the flag and the variable", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const args = ["--firestore-port", String(port), "--pubsub-port", "0", "--function-port", "0"];
      const { code, stderr } = await start([...args, "--count", "1"], {}).finished;
      expect(code).toBe(1);
      expect(stderr).toContain(`127.0.0.1:${port}: the port is in use`);
      expect(stderr).toContain("--firestore-port");
      expect(stderr).toContain("FIRESTORE_EMULATOR_HOST");
    } finally {
      blocker.close();
    }
  });

  test("an unreachable emulator exits 1 naming the variable that points at it", async () => {
    const { code, stderr } = await start(["--count", "1"], {
      FIRESTORE_EMULATOR_HOST: "127.0.0.1:1",
      PUBSUB_EMULATOR_HOST: hosts.pubsub,
    }).finished;
    expect(code).toBe(1);
    expect(stderr).toContain("127.0.0.1:1");
    expect(stderr).toContain("FIRESTORE_EMULATOR_HOST");
  });
});

describe("status line and summary", () => {
  test("shows every count with its total and its rate over the last interval", () => {
    const previous = { ...ZERO, published: 100, stored: 50 };
    const now = { ...ZERO, published: 300, stored: 150, stale: 20, failed: 2, deadLettered: 1 };
    expect(formatStatus(now, previous, 2, 12.7)).toBe(
      "12s  published 300 (100/s)  stored 150 (50/s)  stale 20 (10/s)  duplicate 0 (0/s)  rejected 0 (0/s)  " +
        "failed 2 (1/s)  dead-lettered 1 (1/s)",
    );
  });

  test("on a narrow terminal drops zero rates before cutting the line", () => {
    const line = formatStatus({ ...ZERO, published: 50, stored: 50 }, ZERO, 1, 1);
    expect(fitStatus(line, 200)).toBe(line);
    expect(fitStatus(line, 110)).toBe(
      "1s  published 50 (50/s)  stored 50 (50/s)  stale 0  duplicate 0  rejected 0  failed 0  dead-lettered 0",
    );
    expect(fitStatus(line, 30)).toHaveLength(30);
  });

  /** The facts of a 3 s run of 2 instances: 1 s publishing, 2 s to the last outcome. */
  const twoInstances = (counts: Counts, duplicateStorm: boolean): SummaryFacts => ({
    counts,
    instances: 2,
    duplicateStorm,
    byInstance: [
      { instance: 1, stored: 6, stale: 2, duplicate: 0, rejected: 1, failed: 1 },
      { instance: 2, stored: 3, stale: 0, duplicate: 0, rejected: 0, failed: 0 },
    ],
    elapsedSeconds: 3,
    publishSeconds: 1,
    processSeconds: 2,
    publishErrors: 0,
    latency: { functionMs: { p50: 4.4, p99: 20.6, count: 12 }, publishToAcknowledgedMs: null },
  });

  test("in a duplicate storm the summary compares what was processed with subscriptions × published", () => {
    const counts = { ...ZERO, published: 10, stored: 12, stale: 5, duplicate: 3 };
    const text = formatSummary(twoInstances(counts, true));
    expect(text).toContain("summary: 3.0 s, 2 function instances, a duplicate storm: 2 subscriptions\n");
    expect(text).toContain("  processed            20  of 20 (2 × published), 10/s end to end\n");
    expect(text).toContain("  published            10  10/s while publishing\n");
  });

  test("instances sharing one subscription are compared with published, and each shows its share", () => {
    const counts = { ...ZERO, published: 12, stored: 9, stale: 2, rejected: 1, failed: 1 };
    const text = formatSummary(twoInstances(counts, false));
    expect(text).toContain("summary: 3.0 s, 2 function instances sharing one subscription\n");
    expect(text).toContain("  processed            12  of 12 (published), 6/s end to end\n");
    expect(text).toContain("  instance 1            9  acknowledged, 75 %\n");
    expect(text).toContain("  instance 2            3  acknowledged, 25 %\n");
    expect(text).toContain("  function time  p50 4 ms, p99 21 ms\n");
    expect(text).not.toContain("publish → ack");
  });

  test("the JSON summary holds the counts, each instance's share, the rates and the latency", () => {
    const counts = { ...ZERO, published: 12, stored: 9, stale: 2, rejected: 1, failed: 1 };
    expect(JSON.parse(JSON.stringify(summaryJson(twoInstances(counts, false))))).toEqual({
      elapsedSeconds: 3,
      instances: 2,
      duplicateStorm: false,
      subscriptions: 1,
      counts,
      processed: 12,
      expected: 12,
      byInstance: [
        { instance: 1, stored: 6, stale: 2, duplicate: 0, rejected: 1, failed: 1, acknowledged: 9 },
        { instance: 2, stored: 3, stale: 0, duplicate: 0, rejected: 0, failed: 0, acknowledged: 3 },
      ],
      rates: { publishedPerSecond: 12, processedPerSecond: 6 },
      latencyMs: { function: { p50: 4.4, p99: 20.6, count: 12 }, publishToAcknowledged: null },
      publishErrors: 0,
      notProcessed: null,
    });
  });

  test("processed counts dead letters (done with for good) and not failed deliveries (they come back)", () => {
    const counts = { ...ZERO, published: 10, stored: 12, stale: 4, failed: 3, deadLettered: 2 };
    const text = formatSummary(twoInstances(counts, true));
    expect(text).toContain("  failed                3\n");
    expect(text).toContain("  dead-lettered         2\n");
    expect(text).toContain("  processed            18  of 20 (2 × published), 9/s end to end\n");
  });

  test("with several instances the status line ends with what each acknowledged", () => {
    const now = { ...ZERO, published: 30, stored: 30 };
    expect(formatStatus(now, ZERO, 1, 1, [10, 12, 8])).toMatch(
      / {2}dead-lettered 0 \(0\/s\) {2}by instance 10\/12\/8$/,
    );
    expect(formatStatus(now, ZERO, 1, 1, [30])).toMatch(/dead-lettered 0 \(0\/s\)$/);
  });
});

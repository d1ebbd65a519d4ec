import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { GeneratedScan } from "../src/generate.ts";
import { runScanner, type Progress } from "../src/run.ts";
import { parseOptions, type ScannerOptions } from "../src/options.ts";
import {
  MAIN,
  closedPort,
  connect,
  listen,
  readRecord,
  runScannerAt,
  scannerEnvironment,
  startNode,
  unique,
  WAIT,
  type Target,
} from "./harness.ts";

let target: Target;
let directory: string;
beforeAll(async () => {
  target = await connect();
  directory = await mkdtemp(join(tmpdir(), "scanner-"));
});
afterAll(async () => {
  await target.close();
  await rm(directory, { recursive: true, force: true });
});

const options = (argv: string[]) =>
  parseOptions([...argv, "--project", target.project], {
    PUBSUB_EMULATOR_HOST: target.host,
  }) as ScannerOptions;
const withoutTimestamp = ({ timestamp: _, ...rest }: GeneratedScan) => rest;

describe.concurrent("the scanner against Pub/Sub", () => {
  test("publishes what it records, and records every message Pub/Sub accepted", async () => {
    const topic = unique("record");
    const listener = await listen(target, topic);
    const record = join(directory, `${topic}.jsonl`);
    const args = ["--topic", topic, "--count", "40", "--rate", "2000", "--seed", "s1", "--record", record];
    const finished = await runScannerAt(target.host, MAIN, args);
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).toContain("done: 40 published");
    expect(finished.stderr).toContain("seed s1");
    const lines = await readRecord(record);
    await listener.next(40);
    await listener.close();
    expect(new Map(lines.map((line) => [line.messageId, JSON.stringify(line.scan)]))).toEqual(
      listener.received,
    );
    // Each one as the Go scanner writes it: its fields in order, its values in the Go scanner's ranges.
    expect(new Set(lines.map((line) => line.messageId)).size).toBe(40);
    for (const { scan } of lines) {
      expect(Object.keys(scan)).toEqual(["ip", "port", "service", "timestamp", "data_version", "data"]);
      expect(scan).toMatchObject({
        ip: expect.stringMatching(/^1\.1\.1\.(\d|[1-9]\d|1\d\d|2[0-4]\d|25[0-4])$/),
        port: expect.toSatisfy((port: number) => Number.isInteger(port) && port >= 0 && port <= 65534),
        service: expect.toSatisfy((service: string) => ["HTTP", "SSH", "DNS"].includes(service)),
      });
    }
  });

  test("repeats the same scans for the same seed, run after run", async () => {
    const topic = unique("seed");
    const runs = [];
    for (const name of ["first", "second"]) {
      const record = join(directory, `${topic}-${name}.jsonl`);
      const summary = await runScanner(
        options([
          "--topic",
          topic,
          "--count",
          "25",
          "--rate",
          "5000",
          "--seed",
          "same",
          "--ips",
          "3",
          "--ports",
          "4",
          "--record",
          record,
        ]),
      );
      expect(summary).toMatchObject({ published: 25, errors: 0, seed: "same" });
      runs.push((await readRecord(record)).map((line) => withoutTimestamp(line.scan)));
    }
    expect(runs[0]?.sort(byJson)).toEqual(runs[1]?.sort(byJson));
    expect(
      new Set(runs[0]?.map((scan) => JSON.stringify([scan.ip, scan.port, scan.service]))).size,
    ).toBeLessThanOrEqual(36);
  });

  test("creates the topic when it is missing", async () => {
    const topic = unique("missing");
    expect((await target.pubsub.topic(topic).exists())[0]).toBe(false);
    await runScanner(options(["--topic", topic, "--count", "1"]));
    expect((await target.pubsub.topic(topic).exists())[0]).toBe(true);
  });

  test("stops after --duration at the --rate it was given", async () => {
    const summary = await runScanner(
      options(["--topic", unique("duration"), "--rate", "20", "--duration", "0.5"]),
    );
    expect(summary.published).toBe(10);
  });

  test("reports progress while it runs and stops when its signal aborts", async () => {
    const controller = new AbortController();
    const reports: Progress[] = [];
    const published: string[] = [];
    const running = runScanner(options(["--topic", unique("progress"), "--rate", "500"]), {
      signal: controller.signal,
      progressIntervalMs: 50,
      onProgress: (progress) => reports.push(progress),
      onPublished: (messageId) => published.push(messageId),
    });
    await vi.waitFor(
      () =>
        expect(
          reports.some((report) => report.published > 0),
          "a report of a publish",
        ).toBe(true),
      WAIT,
    );
    controller.abort();
    const summary = await running;
    expect(summary.errors).toBe(0);
    expect(summary.published).toBe(published.length);
    expect(summary.published).toBeGreaterThanOrEqual(reports.at(-1)?.published ?? Infinity);
  });

  test.each(["SIGINT", "SIGTERM"] as const)("on %s flushes what it queued and exits 0", async (signal) => {
    const topic = unique(signal.toLowerCase());
    const listener = await listen(target, topic);
    const record = join(directory, `${topic}.jsonl`);
    const argv = [MAIN, "--topic", topic, "--rate", "300", "--record", record];
    const running = startNode(argv, scannerEnvironment({ PUBSUB_EMULATOR_HOST: target.host }));
    await vi.waitFor(
      async () =>
        expect((await readRecord(record)).length, "20 recorded publishes").toBeGreaterThanOrEqual(20),
      WAIT,
    );
    running.child.kill(signal);
    const finished = await running.exited;
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).toContain(`${signal}, flushing what is queued`);
    const lines = await readRecord(record);
    expect(finished.stderr).toContain(`done: ${lines.length} published`);
    await listener.next(lines.length);
    await listener.close();
    expect([...listener.received.keys()].sort()).toEqual(lines.map((line) => line.messageId).sort());
  });

  test("names the unreachable emulator and exits 1 instead of hanging", async () => {
    const host = `127.0.0.1:${await closedPort()}`;
    const finished = await runScannerAt(host, MAIN, ["--count", "1"]);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toContain(
      `cannot reach the Pub/Sub emulator at ${host} to create topic scan-topic`,
    );
  });
});

function byJson(a: unknown, b: unknown): number {
  return JSON.stringify(a).localeCompare(JSON.stringify(b));
}

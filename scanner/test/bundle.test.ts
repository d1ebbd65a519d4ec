import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { connect, listen, readRecord, runScannerAt, unique } from "./harness.ts";

const run = promisify(execFile);
let directory: string;

beforeAll(async () => {
  // Built into a directory without node_modules anywhere above it, as in the container image.
  directory = await mkdtemp(join(tmpdir(), "scanner-bundle-"));
  await run(process.execPath, [
    new URL("../build.ts", import.meta.url).pathname,
    join(directory, "scanner.js"),
  ]);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

test("the bundle runs on its own and prints the usage", async () => {
  const { stdout } = await run(process.execPath, [join(directory, "scanner.js"), "--help"], {
    cwd: directory,
  });
  expect(stdout).toContain("Usage: scanner [flags]");
  expect(stdout).toContain("--record FILE");
});

test("the bundle refuses a bad flag with status 2, naming the flag", async () => {
  const failure = await run(process.execPath, [join(directory, "scanner.js"), "--ports", "0"], {
    cwd: directory,
  }).catch((error: { code: number; stderr: string }) => error);
  expect(failure).toMatchObject({ code: 2 });
  expect((failure as { stderr: string }).stderr).toContain("--ports: expected an integer from 1 to 65536");
});

test("the bundle publishes to Pub/Sub like the sources do", async () => {
  const target = await connect();
  try {
    const topic = unique("bundle");
    const listener = await listen(target, topic);
    const record = join(directory, "record.jsonl");
    const args = ["--topic", topic, "--count", "3", "--rate", "100", "--record", record];
    const finished = await runScannerAt(target.host, join(directory, "scanner.js"), args);
    expect(finished.code, finished.stderr).toBe(0);
    await listener.next(3);
    await listener.close();
    expect([...listener.received.keys()].sort()).toEqual(
      (await readRecord(record)).map((line) => line.messageId).sort(),
    );
  } finally {
    await target.close();
  }
});

// `npm run emulators:firebase -- --exec`, the set-up without Java: the Firebase CLI's own Functions emulator
// discovers ingestScan's firebase-functions entry and runs it on every message published to scan-topic, with
// the embedded Pub/Sub emulator in place of Google's and the embedded Firestore beside it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test, vi } from "vitest";
import { createWorkload } from "../reliability/workload.ts";
import { freshEnv, functionLogLines, RUN_LIMIT_MS, runSuite, WORKLOAD } from "./suite.ts";

const root = new URL("../../", import.meta.url).pathname;
const suiteCommand = "cli/firebase-suite/main.ts";

test("the suite's workload holds late, republished, other-version and broken messages", () => {
  const workload = createWorkload(WORKLOAD);
  const kinds = new Set(workload.map((message) => message.kind));
  expect([...kinds].sort()).toEqual(["broken", "fresh", "other-version", "republished"]);
  const times = workload.flatMap((message) => (message.scan ? [message.scan.timestamp] : []));
  expect(times.some((time, index) => index > 0 && time < times[index - 1]!)).toBe(true);
});

test(
  "stores what the model says for every message, and the function's log lines reach the CLI's output",
  async () => {
    const run = await runSuite({ java: false, rules: false, env: freshEnv() });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("set-up: embedded Firestore");
    expect(run.result?.problems, run.output).toEqual([]);

    const lines = functionLogLines(run.output);
    const broken = createWorkload(WORKLOAD).filter((message) => message.kind === "broken").length;
    expect(lines.filter((line) => line.outcome === "rejected")).toHaveLength(broken);
    expect(
      lines.filter((line) => line.outcome === "rejected").every((line) => line.severity === "WARNING"),
    ).toBe(true);
    expect(lines.filter((line) => line.outcome !== undefined).length).toBeGreaterThanOrEqual(
      WORKLOAD.messages,
    );
    process.stdout.write(
      `firebase suite without Java: ${run.result?.published} messages, first stored scan ${run.firstStoredMs} ms after the command started\n`,
    );
  },
  RUN_LIMIT_MS + 30_000,
);

/** Runs a command from the repository root; resolves with its status and both streams. */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, output };
}

describe("npm run emulators:firebase refuses what cannot work", () => {
  test.each([
    [["--exec", " "], "--exec needs a command to run"],
    [["--bogus"], "Unknown option '--bogus'"],
  ])("%j: exit 2, the reason and the usage", async (args, reason) => {
    const { code, output } = await run(process.execPath, [suiteCommand, ...args], freshEnv());
    expect(code).toBe(2);
    expect(output).toContain(reason);
    expect(output).toContain("Usage: npm run emulators:firebase");
  });

  test("--java with a Java below 21: exit 1, saying which Java and that the default needs none", async () => {
    // A java that reports 17, as this machine's does; where the real one is 21, the refusal is still ours to test.
    const bin = mkdtempSync(join(tmpdir(), "java-17-"));
    writeFileSync(join(bin, "java"), `#!/bin/sh\necho 'openjdk version "17.0.15" 2025-04-15' >&2\n`, {
      mode: 0o755,
    });
    const env = { ...freshEnv(), PATH: `${bin}:${freshEnv().PATH}` };
    const { code, output } = await run(process.execPath, [suiteCommand, "--java"], env);
    expect(code).toBe(1);
    expect(output).toContain(`needs Java 21 or later: ${join(bin, "java")} is Java 17`);
    expect(output).toContain("Without --java, the embedded emulators need no Java");
  });
});

test(
  "emulators:start as a user runs it: the scanner publishes, `scans list` reads, Ctrl-C stops it",
  async () => {
    const env = freshEnv();
    const suite = spawn(process.execPath, [suiteCommand], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    suite.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    suite.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      await vi.waitFor(() => expect(output).toContain("All emulators ready"), {
        timeout: 120_000,
        interval: 200,
      });
      const scanner = await run(
        process.execPath,
        ["scanner/src/main.ts", "--count", "3", "--rate", "20", "--seed", "firebase-start", "--ips", "1"],
        { ...env, PUBSUB_EMULATOR_HOST: "127.0.0.1:8085" },
      );
      expect(scanner.code, scanner.output).toBe(0);
      await vi.waitFor(
        () => expect(functionLogLines(output).filter((line) => line.outcome)).toHaveLength(3),
        {
          timeout: 60_000,
          interval: 200,
        },
      );
      const scans = await run(process.execPath, ["cli/scans/main.ts", "list", "--json"], {
        ...env,
        FIRESTORE_EMULATOR_HOST: "127.0.0.1:8080",
      });
      expect(scans.code, scans.output).toBe(0);
      const stored = functionLogLines(output).filter((line) => line.outcome === "stored").length;
      expect(
        scans.output
          .trim()
          .split("\n")
          .filter((line) => line.startsWith("{")),
      ).toHaveLength(stored);
    } finally {
      suite.kill("SIGINT");
    }
    const [code] = (await once(suite, "exit")) as [number | null];
    expect(code, output).toBe(0);
    expect(output).toContain("Stopping Functions Emulator");
  },
  RUN_LIMIT_MS,
);

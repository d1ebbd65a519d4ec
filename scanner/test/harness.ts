import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { PubSub, type Message } from "@google-cloud/pubsub";
import { expect, vi } from "vitest";
import { start } from "@scan-ingest/emulator-pubsub";
import { emulatorTarget } from "@scan-ingest/emulator-shared/target";
import type { GeneratedScan } from "../src/generate.ts";
import { emulatorPubSub } from "@scan-ingest/pipeline/clients";

export const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** Pub/Sub for the test: PUBSUB_EMULATOR_HOST when set (Google's emulator, say), else the embedded one. */
export type Target = { host: string; project: string; pubsub: PubSub; close(): Promise<void> };

export async function connect(): Promise<Target> {
  const { host, stop } = await emulatorTarget("PUBSUB_EMULATOR_HOST", () => start());
  const project = DEFAULT_PROJECT;
  const pubsub = emulatorPubSub({ host: host, projectId: project });
  return {
    host,
    project,
    pubsub,
    async close() {
      await pubsub.close();
      await stop();
    },
  };
}

/** vi.waitFor's bounds: inside the test's own timeout, so a wait fails naming what it awaited. */
export const WAIT = { timeout: 50_000, interval: 20 };

/** A name no other test uses. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Collects the messages of a new pull subscription to `topic` (created here when missing). */
export async function listen(target: Target, topic: string) {
  const [exists] = await target.pubsub.topic(topic).exists();
  if (!exists) await target.pubsub.createTopic(topic);
  const [subscription] = await target.pubsub.topic(topic).createSubscription(unique("listen"));
  const received = new Map<string, string>();
  subscription.on("message", (message: Message) => {
    received.set(message.id, message.data.toString("utf8"));
    message.ack();
  });
  return {
    received,
    /** Waits until `count` distinct messages arrived. */
    async next(count: number) {
      await vi.waitFor(
        () => expect(received.size, `${count} distinct messages`).toBeGreaterThanOrEqual(count),
        WAIT,
      );
    },
    close: () => subscription.close(),
  };
}

export type RecordLine = { messageId: string; scan: GeneratedScan };

export async function readRecord(path: string): Promise<RecordLine[]> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as RecordLine);
}

/** The environment of a scanner child process: no SCANNER_* leaking in from the caller. */
export function scannerEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("SCANNER_")),
  );
  return { ...env, ...extra };
}

export type Finished = { code: number | null; stdout: string; stderr: string };

/** Runs a script to its end with the Node that runs the tests. */
export function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the scanner `script` (the sources or the bundle) with `args` to its end, against Pub/Sub at `host`. */
export function runScannerAt(host: string, script: string, args: string[]): Promise<Finished> {
  return runNode([script, ...args], scannerEnvironment({ PUBSUB_EMULATOR_HOST: host }));
}

/** Starts a script and returns the child with its output so far and its exit. */
export function startNode(args: string[], env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout?.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<Finished>((resolve) =>
    child.on("exit", (code) => resolve({ code, stdout: output.stdout, stderr: output.stderr })),
  );
  return { child, output, exited };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address !== null ? address.port : 0;
}

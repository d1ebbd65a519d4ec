// `npm run emulators:embedded` as a user runs it: a child process, then the real clients against what it prints.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Firestore, Timestamp, v1 } from "@google-cloud/firestore";
import { credentials } from "@grpc/grpc-js";
import { PubSub } from "@google-cloud/pubsub";
import { afterEach, describe, expect, test } from "vitest";

// What the npm script runs: the bundle (npm ci builds it), which runs the sources should they be newer.
const cli = new URL("../emulators/dist/cli.mjs", import.meta.url).pathname;
const running: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of running.splice(0)) child.kill("SIGKILL");
});

function run(args: string[], entry = cli) {
  const child = spawn(process.execPath, [entry, ...args]);
  running.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => stdout.includes("ready") && resolve(stdout));
    void exited.then((code) => reject(new Error(`exited ${code} before ready: ${stderr}`)));
  });
  ready.catch(() => {}); // awaited only by the tests that expect it
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

function exported(stdout: string, name: string): string {
  const value = new RegExp(`^export ${name}=(\\S+)$`, "m").exec(stdout)?.[1];
  if (!value) throw new Error(`no ${name} in ${stdout}`);
  return value;
}

describe("npm run emulators:embedded", () => {
  test("prints the environment for both emulators, which the real clients then use; SIGINT stops it", async () => {
    const emulators = run(["--firestore-port", "0", "--pubsub-port", "0", "--project", "demo-cli"]);
    const stdout = await emulators.ready;
    const firestoreHost = exported(stdout, "FIRESTORE_EMULATOR_HOST");
    const pubsubHost = exported(stdout, "PUBSUB_EMULATOR_HOST");
    expect(exported(stdout, "GOOGLE_CLOUD_PROJECT")).toBe("demo-cli");

    const firestore = new Firestore({ projectId: "demo-cli", host: firestoreHost, ssl: false });
    await firestore.doc("services/1.1.1.1:80:HTTP").set({ port: 80 });
    expect((await firestore.doc("services/1.1.1.1:80:HTTP").get()).get("port")).toBe(80);
    await firestore.terminate();

    const pubsub = new PubSub({ projectId: "demo-cli", apiEndpoint: pubsubHost, emulatorMode: true });
    const [topic] = await pubsub.createTopic("cli-topic");
    const [topics] = await pubsub.getTopics();
    expect(topics.map((each) => each.name)).toContain(topic.name);
    await pubsub.close();

    emulators.child.kill("SIGINT");
    expect(await emulators.exited).toBe(0);
    expect(emulators.output().stderr).toContain("stopped");
  });

  test("applies the fault flags: every Firestore RPC fails with UNAVAILABLE at rate 1", async () => {
    const emulators = run(["--firestore-port", "0", "--pubsub-port", "0", "--firestore-fail-rate", "1"]);
    const firestoreHost = exported(await emulators.ready, "FIRESTORE_EMULATOR_HOST");
    const [servicePath, port] = firestoreHost.split(":");
    // The generated client with retries off, so the injected failure reaches the test at once
    // (the Firestore SDK would retry UNAVAILABLE with backoff for minutes).
    const client = new v1.FirestoreClient({
      servicePath,
      port: Number(port),
      sslCreds: credentials.createInsecure(),
    });
    const name = "projects/demo-scan/databases/(default)/documents/services/x";
    await expect(client.getDocument({ name }, { retry: { retryCodes: [] } })).rejects.toMatchObject({
      code: 14,
      message: expect.stringContaining("GetDocument"),
    });
    await client.close();
  });

  test.each([
    [["--pubsub-port", "80000"], "--pubsub-port must be a whole number 0..65535"],
    [["--firestore-fail-rate", "1.5"], "--firestore-fail-rate must be a fraction 0..1"],
    [["--pubsub-delay-ms", "soon"], "--pubsub-delay-ms must be a whole number"],
    [["--ttl-sweep-ms", "0"], "--ttl-sweep-ms must be above 0"],
    [["--colour"], "--colour"],
  ])("refuses %j with exit 2 and a message naming the flag", async (args, message) => {
    const emulators = run(args);
    expect(await emulators.exited).toBe(2);
    expect(emulators.output().stderr).toContain(message);
    expect(emulators.output().stderr).toContain("Usage:");
  });

  test("--ttl-from takes TTL policies from an index file: an expired document of the group is deleted", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "ttl-")), "firestore.indexes.json");
    const override = { collectionGroup: "services", fieldPath: "expireAt", ttl: true, indexes: [] };
    await writeFile(file, JSON.stringify({ indexes: [], fieldOverrides: [override] }));
    const emulators = run([
      "--firestore-port",
      "0",
      "--pubsub-port",
      "0",
      "--ttl-from",
      file,
      "--ttl-sweep-ms",
      "50",
    ]);
    const firestoreHost = exported(await emulators.ready, "FIRESTORE_EMULATOR_HOST");
    const firestore = new Firestore({ projectId: "demo-cli", host: firestoreHost, ssl: false });
    const expired = firestore.doc("services/1.1.1.1:80:HTTP");
    await expired.set({ expireAt: Timestamp.fromMillis(Date.now() - 1000) });
    await expect.poll(async () => (await expired.get()).exists, { timeout: 10_000 }).toBe(false);
    await firestore.terminate();
  });

  test("--ttl-from a file that cannot be read gives exit 2 naming it", async () => {
    const emulators = run(["--ttl-from", "/nonexistent/firestore.indexes.json"]);
    expect(await emulators.exited).toBe(2);
    expect(emulators.output().stderr).toContain("--ttl-from: cannot read TTL policies from /nonexistent/");
  });

  test("a port in use gives exit 1 and says which emulator and which flag", async () => {
    const first = run(["--firestore-port", "0", "--pubsub-port", "0"]);
    const busy = exported(await first.ready, "PUBSUB_EMULATOR_HOST").split(":")[1]!;
    const second = run(["--firestore-port", "0", "--pubsub-port", busy]);
    expect(await second.exited).toBe(1);
    expect(second.output().stderr).toMatch(/Pub\/Sub could not listen on 127\.0\.0\.1:\d+.*--pubsub-port/);
  });

  test("runs the sources instead of a bundle older than one of them, and says so", async () => {
    const outdir = await mkdtemp(path.join(tmpdir(), "emulators-build-"));
    execFileSync(process.execPath, [new URL("../emulators/build.ts", import.meta.url).pathname, outdir]);
    const launcher = path.join(outdir, "cli.mjs");
    const fresh = run(["--firestore-port", "0", "--pubsub-port", "0"], launcher);
    await fresh.ready;
    expect(fresh.output().stderr).toBe("");
    // As if built before any source was last saved.
    await writeFile(launcher, (await readFile(launcher, "utf8")).replace(/> \d+\)/, "> 0)"));
    const stale = run(["--firestore-port", "0", "--pubsub-port", "0"], launcher);
    await stale.ready;
    expect(stale.output().stderr).toMatch(
      /^emulators: running the sources, \/\S+\.ts being newer than this build \(npm run build makes starts faster\)\n/,
    );
    await rm(outdir, { recursive: true, force: true });
  });
});

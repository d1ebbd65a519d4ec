// `npm start -- --emulators google` and `npm run emulators:google`: Google's own emulators started by the project,
// not named through *_EMULATOR_HOST. The pipeline on them ends in exactly the independent model's state, and
// everything started is stopped. Needs Google's emulators (npm run test:google).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { Firestore } from "@google-cloud/firestore";
import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

// These tests start their own Google emulators: the ones test:google names must not be used by anything here.
delete process.env.FIRESTORE_EMULATOR_HOST;
delete process.env.PUBSUB_EMULATOR_HOST;
const { findGoogleEmulators } = await import("@scan-ingest/emulator-google");
const { waitForPort } = await import("@scan-ingest/emulator-shared/ports");
const { startRun, differences } = await import("../reliability/harness.ts");
const { expectedState } = await import("../reliability/model.ts");
const { createWorkload } = await import("../reliability/workload.ts");

const root = new URL("../../", import.meta.url).pathname;

beforeAll(async () => {
  const found = await findGoogleEmulators();
  if ("missing" in found) throw new Error(found.missing);
});

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.FIRESTORE_EMULATOR_HOST;
  delete env.PUBSUB_EMULATOR_HOST;
  const child = spawn(process.execPath, [`${root}${script}`, ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = once(child, "close").then(([code]) => ({ code, stdout, stderr }) as Finished);
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => stdout.includes("ready") && resolve(stdout));
    void finished.then(({ code }) => reject(new Error(`exited ${code} before ready: ${stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, finished, ready };
}

const exported = (stdout: string, name: string): string => {
  const value = new RegExp(`^export ${name}=(\\S+)$`, "m").exec(stdout)?.[1];
  if (!value) throw new Error(`no ${name} in ${stdout}`);
  return value;
};

const accepts = async (host: string) => {
  const [address, port] = host.split(":");
  return waitForPort(address!, Number(port), 200);
};

describe("npm run emulators:google", () => {
  test("starts Google's emulators, says which, prints the environment the real clients then use; SIGINT stops both", async () => {
    const emulators = run("emulators/google/cli.ts", [
      "--firestore-port",
      "0",
      "--pubsub-port",
      "0",
      "--project",
      "demo-google-cli",
    ]);
    const stdout = await emulators.ready;
    const firestoreHost = exported(stdout, "FIRESTORE_EMULATOR_HOST");
    const pubsubHost = exported(stdout, "PUBSUB_EMULATOR_HOST");
    expect(exported(stdout, "GOOGLE_CLOUD_PROJECT")).toBe("demo-google-cli");

    const firestore = new Firestore({
      projectId: "demo-google-cli",
      host: firestoreHost,
      ssl: false,
      customHeaders: { Authorization: "Bearer owner" },
    });
    await firestore.doc("services/1.1.1.1:80:HTTP").set({ port: 80 });
    expect((await firestore.doc("services/1.1.1.1:80:HTTP").get()).get("port")).toBe(80);
    await firestore.terminate();
    const pubsub = new PubSub({ projectId: "demo-google-cli", apiEndpoint: pubsubHost, emulatorMode: true });
    const [topic] = await pubsub.createTopic("cli-topic");
    expect((await pubsub.getTopics())[0].map((each) => each.name)).toContain(topic.name);
    await pubsub.close();

    emulators.child.kill("SIGINT");
    const { code, stderr } = await emulators.finished;
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /Google's emulators from the (Google Cloud|Firebase) CLI .*Firestore \S+, Pub\/Sub \S+/,
    );
    expect(stderr).toContain("emulators: stopped");
    expect(await accepts(firestoreHost)).toBe(false);
    expect(await accepts(pubsubHost)).toBe(false);
  });

  test("a Firestore port in use exits 1 naming the emulator and the port, and leaves nothing running", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const { code, stderr } = await run("emulators/google/cli.ts", [
        "--firestore-port",
        String(port),
        "--pubsub-port",
        "0",
      ]).finished;
      expect(code).toBe(1);
      expect(stderr).toContain(
        `Google's Firestore emulator cannot listen on 127.0.0.1:${port}: the port is in use`,
      );
    } finally {
      blocker.close();
    }
  });
});

describe("npm start -- --emulators google", () => {
  test("runs the whole pipeline on Google's emulators, accounts for every message in its summary and stops them", async () => {
    const started = run("cli/start/main.ts", [
      "--emulators",
      "google",
      "--firestore-port",
      "0",
      "--pubsub-port",
      "0",
      "--function-port",
      "0",
      "--console-port",
      "0",
      "--instances",
      "2",
      "--seed",
      "google",
      "--count",
      "120",
      "--rate",
      "2000",
      "--ips",
      "3",
      "--ports",
      "2",
    ]);
    const { code, stdout, stderr } = await started.finished;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain("Google's Firestore, Google's Pub/Sub, 2 function server(s)");
    const count = (label: string) => Number(new RegExp(`^  ${label} +(\\d+)`, "m").exec(stdout)?.[1]);
    expect(count("published")).toBe(120);
    // Two instances share one subscription: each message processed once.
    expect(count("stored") + count("stale") + count("duplicate")).toBe(120);
    expect(count("dead-lettered")).toBe(0);
    expect(await accepts(exported(stdout, "FIRESTORE_EMULATOR_HOST"))).toBe(false);
    expect(await accepts(exported(stdout, "PUBSUB_EMULATOR_HOST"))).toBe(false);
  });

  describe('the pipeline library with emulators: "google"', () => {
    let stop: (() => Promise<void>) | undefined;
    afterAll(() => stop?.());

    test("a colliding, tied and republished workload through 2 instances ends in exactly the model's state", async () => {
      const run = await startRun("google-flag", { instances: 2, emulators: "google" });
      stop = () => run.stop();
      expect(run.pipeline.firestore).toBeUndefined(); // Google's: no embedded handle, no faults
      const workload = createWorkload({ seed: "google-flag", messages: 200, ips: 3, ports: 2 });
      const ids = await run.publish(workload.map((message) => ({ data: message.data })));
      await run.pipeline.waitForDrain({ timeoutMs: 120_000, expectedOutcomes: ids.length });
      const expected = expectedState(
        workload.map((message, index) => ({
          messageId: ids[index]!,
          ...(message.scan && { scan: message.scan }),
          ...(message.reason && { reason: message.reason }),
        })),
      );
      expect(expected.services.size).toBeGreaterThan(1);
      expect(await differences(run, expected)).toEqual([]);
    });
  });
});

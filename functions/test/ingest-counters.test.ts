// Against the embedded emulator only: reads and writes per message from its counters, and injected faults.
import type { Firestore } from "@google-cloud/firestore";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import {
  greatest,
  deliver,
  deliverUntilAcked,
  firestoreClient,
  projectId,
  scanJson,
  startFirestore,
  startFunction,
  uniqueCollections,
  type EmbeddedFirestore,
  type FirestoreTarget,
  type FunctionServer,
} from "./harness.ts";

// The SDK alone retries UNAVAILABLE for minutes; the function's own deadline, shortened here, ends that.
const storeDeadlineMs = 1000;

const collections = uniqueCollections("counters");
const now = Math.floor(Date.now() / 1000);
let firestore: FirestoreTarget;
let emulator: EmbeddedFirestore;
let server: FunctionServer;
let client: Firestore;

beforeAll(async () => {
  firestore = await startFirestore({ embedded: true });
  emulator = firestore.embedded!;
  server = await startFunction(
    {
      FIRESTORE_EMULATOR_HOST: firestore.host,
      GOOGLE_CLOUD_PROJECT: projectId,
      SERVICES_COLLECTION: collections.services,
      REJECTS_COLLECTION: collections.rejects,
    },
    { storeDeadlineMs },
  );
  client = firestoreClient(firestore.host);
});

afterAll(async () => {
  await client?.terminate();
  await server?.close();
  await firestore?.stop();
});

beforeEach(() => {
  emulator.faults.unavailableRate = 0;
  emulator.faults.lostReplyRate = 0;
});

/** Deliver one message and return the documents the emulator read and wrote for it. */
async function costOf(data: string, messageId: string) {
  emulator.counters.reset();
  const response = await deliver(server.url, "structured", { data, messageId });
  return {
    status: response.status,
    read: emulator.counters.documentsRead,
    written: emulator.counters.documentsWritten,
  };
}

describe("cost per message", () => {
  test.each([
    ["a fresh scan costs one read and one write", scanJson({ port: 1, timestamp: now, response: "a" }), 1, 1],
    [
      "an older scan of the stored response widens its history: one read and one write",
      scanJson({ port: 1, timestamp: now - 1, response: "a" }),
      1,
      1,
    ],
    [
      "the same older scan again is stale: one read and no write",
      scanJson({ port: 1, timestamp: now - 1, response: "a" }),
      1,
      0,
    ],
    ["a duplicate costs one read and no write", scanJson({ port: 1, timestamp: now, response: "a" }), 1, 0],
    [
      "a newer scan of the stored response costs one read and one write",
      scanJson({ port: 1, timestamp: now + 1, response: "a" }),
      1,
      1,
    ],
    [
      "an older scan of a new response adds it to the history: one read, the document and a slot",
      scanJson({ port: 1, timestamp: now - 5, response: "b" }),
      1,
      2,
    ],
    [
      "a newer scan of a new response moves the stored one to a slot: one read, two writes",
      scanJson({ port: 1, timestamp: now + 2, response: "c" }),
      1,
      2,
    ],
    ["a reject costs one write and no read", scanJson({ port: -1, timestamp: now, response: "a" }), 0, 1],
  ])("%s", async (_name, data, read, written) => {
    expect(await costOf(data, `cost-${read}-${written}-${now}-${Math.random()}`)).toEqual({
      status: 204,
      read,
      written,
    });
  });
});

const service = (key: string) => client.collection(collections.services).doc(key).get();

describe("injected storage failures", () => {
  test("an unavailable store gives a non-2xx response and writes nothing; the redelivery stores", async () => {
    const data = scanJson({ port: 2, timestamp: now, response: "after the outage" });
    emulator.faults.unavailableRate = 1;
    const failed = await costOf(data, "outage-1");
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.written).toBe(0);
    emulator.faults.unavailableRate = 0;
    const redelivered = await deliver(server.url, "push", { data, messageId: "outage-1" });
    expect(redelivered.status).toBe(204);
    expect((await service("1.1.1.7:2:HTTP")).get("response")).toBe("after the outage");
  });

  test("a reject write that fails gives a non-2xx response; the redelivery keeps the reject", async () => {
    const data = scanJson({ port: -2, timestamp: now, response: "x" });
    emulator.faults.unavailableRate = 1;
    expect((await costOf(data, "outage-2")).status).toBeGreaterThanOrEqual(500);
    emulator.faults.unavailableRate = 0;
    expect((await deliver(server.url, "binary", { data, messageId: "outage-2" })).status).toBe(204);
    expect((await client.collection(collections.rejects).doc("outage-2").get()).get("reason")).toBe(
      "invalid_port",
    );
  });

  test("a commit whose reply is lost fails the delivery; the redelivery is a duplicate", async () => {
    const data = scanJson({ port: 3, timestamp: now, response: "applied once" });
    emulator.faults.lostReplyRate = 1;
    expect((await costOf(data, "lost-1")).status).toBeGreaterThanOrEqual(500);
    const commitsWithLostReplies = emulator.counters.rpcs.Commit ?? 0;
    emulator.faults.lostReplyRate = 0;
    // The first delivery's transaction, abandoned at the deadline, is still being retried by the SDK: wait
    // for its first commit that is answered, which ends it (it finds its own write, a duplicate), so that
    // it is not counted as the redelivery's cost.
    await vi.waitFor(
      () => expect(emulator.counters.rpcs.Commit ?? 0).toBeGreaterThan(commitsWithLostReplies),
      {
        timeout: 30_000,
        interval: 20,
      },
    );
    const stored = await service("1.1.1.7:3:HTTP");
    expect(stored.get("messageId")).toBe("lost-1");
    const redelivered = await costOf(data, "lost-1");
    expect(redelivered).toEqual({ status: 204, read: 1, written: 0 });
    expect((await service("1.1.1.7:3:HTTP")).updateTime?.isEqual(stored.updateTime!)).toBe(true);
  });

  test("50 concurrent deliveries under random faults end in the model's winner once every error is redelivered", async () => {
    const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
    const versions = Array.from({ length: 50 }, (_, index) => ({
      timestamp: now - 500 + (index % 9),
      response: `faulty ${index}`,
      responseSha256: sha256(`faulty ${index}`),
      messageId: `faulty-${index}`,
    }));
    emulator.faults.unavailableRate = 0.2;
    emulator.faults.lostReplyRate = 0.2;
    const messages = versions.map((version) => ({
      ...version,
      data: scanJson({ port: 4, timestamp: version.timestamp, response: version.response }),
    }));
    const { pending, failures } = await deliverUntilAcked(server.url, messages, 30);
    emulator.faults.unavailableRate = 0;
    emulator.faults.lostReplyRate = 0;
    expect(pending).toEqual([]);
    // The faults did make Pub/Sub redeliver: otherwise this test would not test redelivery.
    expect(failures).toBeGreaterThan(0);
    const winner = greatest(versions);
    expect((await service("1.1.1.7:4:HTTP")).data()).toMatchObject({
      response: winner.response,
      messageId: winner.messageId,
    });
  });
});

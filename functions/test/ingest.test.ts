import type { Firestore } from "@google-cloud/firestore";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseConfig } from "../src/config.ts";
import { createIngestScan } from "../src/ingest.ts";
import type { MessageLog } from "../src/log.ts";
import { createFirestore, firestoreStore, StoreError, type Store } from "../src/store.ts";
import { startFirestore, uniqueCollections, type FirestoreTarget } from "./harness.ts";

const now = 1_732_262_400;

/** A gRPC error as the Firestore client throws it. */
const grpcError = (code: number, text: string) => Object.assign(new Error(`${code} ${text}`), { code });

/** A Store that fails like an unavailable Firestore: these tests are about the reaction to that failure. */
function failingStore(failure: Error): Store {
  return {
    applyIfNewer: async (key) => {
      throw new StoreError(`the transaction on services/${key}`, failure);
    },
    writeReject: async (id) => {
      throw new StoreError(`writing rejects/${id}`, failure);
    },
  };
}

const unavailable = grpcError(14, "UNAVAILABLE: no connection");

// The stores that succeed are the real Firestore store on an emulator, each test in its own collections.
let target: FirestoreTarget;
let firestore: Firestore;
let run = 0;
beforeAll(async () => {
  target = await startFirestore();
  firestore = createFirestore(parseConfig({ FIRESTORE_EMULATOR_HOST: target.host }));
});
afterAll(async () => {
  await firestore?.terminate();
  await target?.stop();
});

/** The documents of one collection by id. */
async function documents(collection: string): Promise<Map<string, Record<string, unknown>>> {
  const snapshot = await firestore.collection(collection).get();
  return new Map(snapshot.docs.map((document) => [document.id, document.data()]));
}

function setup(failing: false | Error = false, storeDeadlineMs?: number) {
  run++;
  const collections = uniqueCollections(`ingest-${run}`);
  const config = parseConfig({
    FIRESTORE_EMULATOR_HOST: target.host,
    SERVICES_COLLECTION: collections.services,
    REJECTS_COLLECTION: collections.rejects,
  });
  const store = failing ? failingStore(failing) : firestoreStore(firestore, config);
  const logs: MessageLog[] = [];
  const ingest = createIngestScan({
    config,
    store: () => store,
    log: (entry) => logs.push(entry),
    now: () => now * 1000,
    storeDeadlineMs,
  });
  const services = () => documents(config.servicesCollection);
  const rejects = () => documents(config.rejectsCollection);
  return { store, services, rejects, logs, ingest };
}

function event(id: string, scan: unknown) {
  const data = Buffer.from(typeof scan === "string" ? scan : JSON.stringify(scan)).toString("base64");
  return {
    id,
    time: "2024-11-22T08:00:01Z",
    data: {
      message: { data, messageId: id, publishTime: "2024-11-22T08:00:01Z", attributes: {} },
      subscription: "s",
    },
  };
}

const scan = (timestamp: number, response: string) => ({
  ip: "1.1.1.7",
  port: 443,
  service: "http",
  timestamp,
  data_version: 2,
  data: { response_str: response },
});

describe("ingestScan", () => {
  test("stores, then sees a late older scan as stale and a redelivery as duplicate", async () => {
    const { ingest, services, logs } = setup();
    await ingest(event("1", scan(now, "new")));
    await ingest(event("2", scan(now - 10, "old")));
    await ingest(event("1", scan(now, "new")));
    expect((await services()).get("1.1.1.7:443:HTTP")).toMatchObject({ response: "new", messageId: "1" });
    expect(logs.map((entry) => [entry.outcome, entry.key, entry.messageId, entry.severity])).toEqual([
      ["stored", "1.1.1.7:443:HTTP", "1", "INFO"],
      ["stale", "1.1.1.7:443:HTTP", "2", "INFO"],
      ["duplicate", "1.1.1.7:443:HTTP", "1", "INFO"],
    ]);
    expect(logs.every((entry) => entry.latencyMs >= 0 && entry.reason === undefined)).toBe(true);
  });

  test("rejects a broken scan once under its message id and succeeds", async () => {
    const { ingest, rejects, logs } = setup();
    await ingest(event("9", { ...scan(now, "x"), port: 70000 }));
    await ingest(event("9", { ...scan(now, "x"), port: 70000 }));
    const kept = await rejects();
    expect([...kept.keys()]).toEqual(["9"]);
    expect(kept.get("9")).toMatchObject({
      reason: "invalid_port",
      messageId: "9",
      dataSize: expect.any(Number),
    });
    expect(logs[0]).toMatchObject({
      outcome: "rejected",
      reason: "invalid_port",
      messageId: "9",
      severity: "WARNING",
    });
    expect(logs[0]).not.toHaveProperty("key");
  });

  test("rejects a delivery without a message as invalid_envelope under the CloudEvent id", async () => {
    const { ingest, rejects, logs } = setup();
    await ingest({ id: "ce-1", data: { subscription: "s" } });
    expect((await rejects()).get("ce-1")).toMatchObject({
      reason: "invalid_envelope",
      data: '{"subscription":"s"}',
    });
    expect(logs[0]).toMatchObject({ outcome: "rejected", reason: "invalid_envelope", messageId: "ce-1" });
  });

  test.each([
    ["a storage failure", scan(now, "x"), "the transaction on services/1.1.1.7:443:HTTP failed"],
    ["a failing reject write", "not json", "writing rejects/5 failed"],
  ])("throws on %s and logs what failed", async (_name, payload, what) => {
    const { ingest, logs } = setup(unavailable);
    await expect(ingest(event("5", payload))).rejects.toThrow(StoreError);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      outcome: "failed",
      severity: "ERROR",
      messageId: "5",
      failure: "transient",
    });
    expect(logs[0]!.error).toContain(what);
    expect(logs[0]).not.toHaveProperty("fix");
  });

  test.each([
    [7, "PERMISSION_DENIED", "roles/datastore.user"],
    [5, "NOT_FOUND", "create the (default) database"],
    [3, "INVALID_ARGUMENT", "MAX_RESPONSE_BYTES"],
  ])(
    "a %s failure is logged once as permanent (%s) with what to fix, and still not acknowledged",
    async (code, name, fix) => {
      const { ingest, logs } = setup(grpcError(code, `${name}: refused`));
      await expect(ingest(event("7", scan(now, "x")))).rejects.toThrow(StoreError);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({ outcome: "failed", severity: "ERROR", failure: "permanent" });
      expect(logs[0]!.fix).toContain(fix);
      expect(logs[0]!.message).toContain(`permanent failure (${name}), no redelivery will succeed`);
      expect(logs[0]!.message).toContain("until the dead-letter topic keeps it");
    },
  );

  test("logs the lag from publishTime to each outcome in whole milliseconds, and none without a publishTime", async () => {
    const { ingest, logs } = setup();
    // Without a publishTime the CloudEvent's time stands in for it (envelope.ts); this one has neither.
    const published = (id: string, payload: unknown, publishTime?: string) => {
      const { time: _time, ...delivery } = event(id, payload);
      const { publishTime: _dropped, ...message } = delivery.data.message;
      return {
        ...delivery,
        ...(publishTime && { time: publishTime }),
        data: { ...delivery.data, message: { ...message, ...(publishTime && { publishTime }) } },
      };
    };
    await ingest(published("1", scan(now, "new"), "2024-11-22T07:59:58.750Z"));
    await ingest(published("2", scan(now - 10, "old"), "2024-11-22T07:59:59Z"));
    await ingest(published("3", { ...scan(now, "x"), port: 70000 }, "2024-11-22T07:59:00Z"));
    await ingest(published("4", scan(now + 1, "newer")));
    expect(logs.map((entry) => [entry.outcome, entry.lagMs])).toEqual([
      ["stored", 1250],
      ["stale", 1000],
      ["rejected", 60000],
      ["stored", undefined],
    ]);
    expect(logs[3]).not.toHaveProperty("lagMs");
  });

  test("logs the lag of a failed delivery too, so a retried message shows how long it has waited", async () => {
    const { ingest, logs } = setup(unavailable);
    await expect(ingest(event("5", scan(now, "x")))).rejects.toThrow(StoreError);
    expect(logs[0]).toMatchObject({ outcome: "failed", lagMs: -1000 });
  });

  test("gives up on a store that does not answer within the deadline, so Pub/Sub redelivers", async () => {
    const { ingest, store, logs } = setup(false, 20);
    store.applyIfNewer = () => new Promise(() => {});
    await expect(ingest(event("6", scan(now, "x")))).rejects.toThrow("no answer within 20 ms");
    expect(logs[0]).toMatchObject({
      outcome: "failed",
      messageId: "6",
      key: "1.1.1.7:443:HTTP",
      failure: "transient",
    });
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Firestore } from "@google-cloud/firestore";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { start, startWithTiming, type FirestoreEmulator } from "../src/index.ts";
import { codeOf, unique } from "./harness.ts";
import { rawClient } from "./raw-client.ts";

// These tests use the embedded emulator's own API (counters, faults, persistence), so they never run against Google's.
process.env.METADATA_SERVER_DETECTION ??= "none";
const PROJECT = "embedded";
const database = `projects/${PROJECT}/databases/(default)`;
const connect = (emulator: FirestoreEmulator, projectId = PROJECT) =>
  new Firestore({ projectId, host: emulator.host, ssl: false });

let emulator: FirestoreEmulator;
let db: Firestore;
let raw: ReturnType<typeof rawClient>;
beforeAll(async () => {
  emulator = await start();
  db = connect(emulator);
  raw = rawClient(emulator.host);
});
afterAll(async () => {
  raw.close();
  await db.terminate();
  await emulator.stop();
});

describe("embedded emulator only: counters", () => {
  test("a transaction that reads one document and writes it costs one read, one write, one BatchGet and one Commit", async () => {
    const ref = db.collection(unique("cost")).doc("a");
    await ref.set({ n: 1 });
    emulator.counters.reset();
    await db.runTransaction(async (tx) => tx.set(ref, { n: ((await tx.get(ref)).get("n") as number) + 1 }));
    expect(emulator.counters).toMatchObject({
      rpcs: { BatchGetDocuments: 1, Commit: 1 },
      documentsRead: 1,
      documentsWritten: 1,
    });
  });

  test("looking up a missing document is billed as one read, and a query as one read per result", async () => {
    const collection = db.collection(unique("cost"));
    await collection.doc("a").set({ n: 1 });
    await collection.doc("b").set({ n: 2 });
    emulator.counters.reset();
    await collection.doc("missing").get();
    await collection.get();
    expect(emulator.counters.documentsRead).toBe(3);
    expect(emulator.counters.documentsWritten).toBe(0);
  });
});

describe("embedded emulator only: refusals", () => {
  test("a refused query reaches the SDK at once: one RunQuery and one RunAggregationQuery attempt, no resend", async () => {
    const collection = db.collection(unique("refused"));
    await collection.doc("a").set({ n: 1 });
    emulator.counters.reset();
    for (const explain of [() => collection.explain({ analyze: true }), () => collection.count().explain()]) {
      await expect(explain()).rejects.toMatchObject({
        code: 12,
        details: expect.stringContaining("explain_options"),
      });
    }
    // google-gax used to resend a trailers-only refusal twice (2 s, then 4 s): three attempts each, all
    // before the rejection, so one attempt counted when it arrives is the whole proof.
    expect(emulator.counters.rpcs).toMatchObject({ RunQuery: 1, RunAggregationQuery: 1 });
  });
});

describe("embedded emulator only: faults", () => {
  test("with an UNAVAILABLE rate of 1 every RPC fails before doing anything, and is counted", async () => {
    const name = `${database}/documents/${unique("faults")}/a`;
    const injected = { ...emulator.faults.injected };
    emulator.faults.unavailableRate = 1;
    try {
      const write = raw.call("Commit", { database, writes: [{ update: { name, fields: {} } }] });
      expect(await codeOf(write)).toBe(14);
    } finally {
      emulator.faults.unavailableRate = 0;
    }
    expect(emulator.faults.injected).toEqual({ ...injected, unavailable: injected.unavailable + 1 });
    expect(await codeOf(raw.call("GetDocument", { name }))).toBe(5);
  });

  test("a lost reply leaves the commit applied: the SDK's retried create then fails ALREADY_EXISTS", async () => {
    const ref = db.collection(unique("faults")).doc("a");
    const lostBefore = emulator.faults.injected.lostReplies;
    emulator.faults.lostReplyRate = 1;
    try {
      expect(await codeOf(ref.create({ n: 1 }))).toBe(6);
    } finally {
      emulator.faults.lostReplyRate = 0;
    }
    // The first Commit's reply was dropped; the retry failed ALREADY_EXISTS before it committed anything.
    expect(emulator.faults.injected.lostReplies - lostBefore).toBe(1);
    expect((await ref.get()).get("n")).toBe(1);
  });
});

describe("embedded emulator only: lifecycle", () => {
  test("methods it does not implement answer UNIMPLEMENTED naming the method", async () => {
    const failure = raw.call("PartitionQuery", { parent: `${database}/documents` });
    await expect(failure).rejects.toMatchObject({
      code: 12,
      details: expect.stringContaining("PartitionQuery"),
    });
  });

  test("clear drops every document", async () => {
    const other = await start();
    const client = connect(other);
    try {
      const ref = client.collection("c").doc("a");
      await ref.set({ n: 1 });
      other.clear();
      expect((await ref.get()).exists).toBe(false);
    } finally {
      await client.terminate();
      await other.stop();
    }
  });

  test("documents saved at stop are there after a restart on the same data directory", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "firestore-data-"));
    try {
      const first = await start({ dataDir });
      const writer = connect(first);
      await writer
        .collection("kept")
        .doc("a")
        .set({ n: 1, bytes: Buffer.from([7]) });
      await writer.terminate();
      await first.stop();
      const second = await start({ dataDir });
      const reader = connect(second);
      const snapshot = await reader.collection("kept").doc("a").get();
      await reader.terminate();
      await second.stop();
      expect(snapshot.data()).toEqual({ n: 1, bytes: Buffer.from([7]) });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test("with a project id, requests for another project are refused PERMISSION_DENIED", async () => {
    const only = await start({ projectId: "only" });
    const stranger = connect(only, "stranger");
    const allowed = connect(only, "only");
    try {
      expect(await codeOf(stranger.collection("c").doc("a").set({ n: 1 }))).toBe(7);
      await allowed.collection("c").doc("a").set({ n: 1 });
    } finally {
      await stranger.terminate();
      await allowed.terminate();
      await only.stop();
    }
  });

  test("an abandoned transaction expires, releasing its lock, and its id is then refused as expired", async () => {
    const quick = await startWithTiming({}, { transactionIdleMs: 100, lockWaitMs: 10_000 });
    const client = rawClient(quick.host);
    const writer = connect(quick);
    try {
      const name = `${database}/documents/c/a`;
      const [first] = await client.stream<{ transaction: Buffer }>("BatchGetDocuments", {
        database,
        documents: [name],
        newTransaction: { readWrite: {} },
      });
      await writer.doc("c/a").set({ n: 1 }); // waits for the abandoned transaction's read lock to expire
      const late = client.call("Commit", { database, transaction: first?.transaction, writes: [] });
      await expect(late).rejects.toMatchObject({
        code: 3,
        details: expect.stringContaining("transaction has expired"),
      });
    } finally {
      client.close();
      await writer.terminate();
      await quick.stop();
    }
  });

  test("a replaced version stays readable for keepVersionsSeconds; an older read_time is refused naming the flag", async () => {
    const short = await start({ keepVersionsSeconds: 1 });
    const client = connect(short);
    try {
      const ref = client.doc("versions/a");
      const first = await ref.set({ n: 1 });
      await ref.set({ n: 2 });
      const atFirst = await client.runTransaction((tx) => tx.get(ref), {
        readOnly: true,
        readTime: first.writeTime,
      });
      expect(atFirst.get("n")).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      // A write past the window drops the version of then: a read there would find nothing, so it is refused.
      await ref.set({ n: 3 });
      const late = client.runTransaction((tx) => tx.get(ref), { readOnly: true, readTime: first.writeTime });
      await expect(late).rejects.toMatchObject({
        code: 9,
        details: expect.stringMatching(
          /keeps document versions \(1 s after they are replaced\)\. Start it with --keep-versions-seconds/,
        ),
      });
    } finally {
      await client.terminate();
      await short.stop();
    }
  });
});

import { readFileSync } from "node:fs";
import { Firestore, Timestamp, type DocumentReference } from "@google-cloud/firestore";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { start, ttlPoliciesFromIndexes, type FirestoreEmulator } from "../src/index.ts";
import { unique } from "./harness.ts";

// TTL deletion exists only in the embedded emulator: Google's has none (docs/parity.md), so this file is not in
// test/google/vitest.config.ts's list. The client is the real SDK; the sweep runs every 50 ms.
process.env.METADATA_SERVER_DETECTION ??= "none";

const SWEEP_MS = 50;
const POLICIES = [
  { collectionGroup: "sessions", field: "expireAt" },
  { collectionGroup: "history", field: "expireAt" },
  { collectionGroup: "nested", field: "meta.expireAt" },
];
const past = () => Timestamp.fromMillis(Date.now() - 60_000);
const future = () => Timestamp.fromMillis(Date.now() + 3_600_000);

let emulator: FirestoreEmulator;
let db: Firestore;
beforeAll(async () => {
  emulator = await start({ ttl: { policies: POLICIES, sweepIntervalMs: SWEEP_MS } });
  db = new Firestore({ projectId: "ttl", host: emulator.host, ssl: false });
});
afterAll(async () => {
  await db.terminate();
  await emulator.stop();
});

const exists = async (ref: DocumentReference) => (await ref.get()).exists;
/** Waits until the sweep has deleted `ref`: every document it looked at in that sweep was judged too. */
const deleted = (ref: DocumentReference) => expect.poll(() => exists(ref), { timeout: 10_000 }).toBe(false);

describe("TTL deletion (embedded emulator only)", () => {
  test("deletes a document whose field is a past Timestamp and keeps one whose Timestamp is in the future", async () => {
    const sessions = db.collection("sessions");
    const expired = sessions.doc(unique("expired"));
    const later = sessions.doc(unique("later"));
    await Promise.all([expired.set({ expireAt: past() }), later.set({ expireAt: future() })]);
    await deleted(expired);
    expect(await exists(later)).toBe(true);
  });

  test.each([
    ["a string holding a past date", "2000-01-01T00:00:00Z"],
    ["a number", 0],
    ["null", null],
    ["a map", { seconds: 0 }],
  ])("keeps a document whose field holds %s, not a Timestamp", async (_, value) => {
    const sessions = db.collection("sessions");
    const kept = sessions.doc(unique("kept"));
    const expired = sessions.doc(unique("expired"));
    await Promise.all([kept.set({ expireAt: value }), expired.set({ expireAt: past() })]);
    await deleted(expired);
    expect(await exists(kept)).toBe(true);
  });

  test("keeps a document without the field, and one of another collection group with an expired field", async () => {
    const missing = db.collection("sessions").doc(unique("missing"));
    const otherGroup = db.collection(unique("other")).doc("a");
    const expired = db.collection("sessions").doc(unique("expired"));
    await Promise.all([
      missing.set({ n: 1 }),
      otherGroup.set({ expireAt: past() }),
      expired.set({ expireAt: past() }),
    ]);
    await deleted(expired);
    expect(await exists(missing)).toBe(true);
    expect(await exists(otherGroup)).toBe(true);
  });

  test("applies to the whole collection group, at any depth, and to a nested field path", async () => {
    const deep = db.collection(unique("root")).doc("p").collection("sessions").doc("deep");
    const nested = db.collection("nested").doc(unique("nested"));
    const nestedFuture = db.collection("nested").doc(unique("nested-future"));
    await Promise.all([
      deep.set({ expireAt: past() }),
      nested.set({ meta: { expireAt: past() } }),
      nestedFuture.set({ meta: { expireAt: future() }, expireAt: past() }),
    ]);
    await deleted(deep);
    await deleted(nested);
    expect(await exists(nestedFuture)).toBe(true);
  });

  test("does not cascade: the subcollections of a deleted document stay, each under its own policy", async () => {
    const parent = db.collection("sessions").doc(unique("parent"));
    const kept = parent.collection("history").doc("kept");
    const unpoliced = parent.collection("notes").doc("n");
    const expiredChild = parent.collection("history").doc("expired");
    await Promise.all([
      parent.set({ expireAt: past() }),
      kept.set({ expireAt: future() }),
      unpoliced.set({ expireAt: past() }),
      expiredChild.set({ expireAt: past() }),
    ]);
    await deleted(parent);
    await deleted(expiredChild);
    expect(await exists(kept)).toBe(true);
    expect(await exists(unpoliced)).toBe(true);
    expect((await parent.collection("history").get()).docs.map((doc) => doc.id)).toEqual(["kept"]);
  });

  test("a listener sees the TTL deletion as a removal, as of any delete", async () => {
    const collection = db.collection(unique("watched")).doc("p").collection("sessions");
    const doc = collection.doc("soon");
    const removed: string[] = [];
    const unsubscribe = collection.onSnapshot((snapshot) => {
      for (const change of snapshot.docChanges()) if (change.type === "removed") removed.push(change.doc.id);
    });
    try {
      // Expires in a moment, so the listener holds it before the sweep deletes it.
      await doc.set({ expireAt: Timestamp.fromMillis(Date.now() + 300) });
      await expect.poll(() => removed, { timeout: 10_000 }).toEqual(["soon"]);
      expect(await exists(doc)).toBe(false);
    } finally {
      unsubscribe();
    }
  });

  test("a TTL delete is counted as a written document, with no RPC, and the document can be written again", async () => {
    const doc = db.collection("sessions").doc(unique("counted"));
    await doc.set({ expireAt: past() });
    emulator.counters.reset();
    await deleted(doc);
    expect(emulator.counters.documentsWritten).toBe(1);
    expect(emulator.counters.rpcs.Commit).toBeUndefined();
    await doc.set({ expireAt: future() });
    const snapshot = await doc.get();
    expect(snapshot.createTime?.toMillis()).toBe(snapshot.updateTime?.toMillis());
  });

  test.each([
    [{ policies: [{ collectionGroup: "a/b", field: "x" }] }, /one id/],
    [{ policies: [{ collectionGroup: "__a__", field: "x" }] }, /reserved/],
    [{ policies: [{ collectionGroup: "a", field: "x..y" }] }, /field path/],
    [
      {
        policies: [
          { collectionGroup: "a", field: "x" },
          { collectionGroup: "a", field: "y" },
        ],
      },
      /one TTL field per collection group/,
    ],
    [{ policies: [], sweepIntervalMs: 0 }, /sweepIntervalMs/],
  ])("refuses a bad TTL configuration at start: %j", async (ttl, message) => {
    await expect(start({ ttl })).rejects.toThrow(message);
  });
});

describe("TTL policies from a Firebase index file", () => {
  test("takes the field overrides with ttl: true and ignores the others", () => {
    const spec = {
      indexes: [],
      fieldOverrides: [
        { collectionGroup: "services", fieldPath: "expireAt", ttl: true, indexes: [] },
        { collectionGroup: "services", fieldPath: "response", indexes: [] },
        { collectionGroup: "history", fieldPath: "expireAt", ttl: true, indexes: [] },
        { collectionGroup: "rejects", fieldPath: "rejectedAt", ttl: false, indexes: [] },
      ],
    };
    expect(ttlPoliciesFromIndexes(spec)).toEqual([
      { collectionGroup: "services", field: "expireAt" },
      { collectionGroup: "history", field: "expireAt" },
    ]);
  });

  test.each([
    [{}, []],
    [{ indexes: [] }, []],
  ])("a file without field overrides has no policies: %j", (spec, policies) => {
    expect(ttlPoliciesFromIndexes(spec)).toEqual(policies);
  });

  test.each([
    [{ fieldOverrides: {} }, /not a list/],
    [{ fieldOverrides: [{ collectionGroup: "a", ttl: true }] }, /needs a collectionGroup, a fieldPath/],
    [{ fieldOverrides: [{ collectionGroup: "a", fieldPath: "x", ttl: "yes" }] }, /ttl: true/],
    [
      {
        fieldOverrides: [
          { collectionGroup: "a", fieldPath: "x", ttl: true },
          { collectionGroup: "a", fieldPath: "y", ttl: true },
        ],
      },
      /one TTL field per collection group/,
    ],
  ])("refuses a malformed TTL override, naming the file: %j", (spec, message) => {
    expect(() => ttlPoliciesFromIndexes(spec, "x.json")).toThrow(message);
    expect(() => ttlPoliciesFromIndexes(spec, "x.json")).toThrow(/^x\.json: /);
  });

  test("the repository's firestore.indexes.json is read without error", () => {
    const spec: unknown = JSON.parse(
      readFileSync(new URL("../../../firestore.indexes.json", import.meta.url), "utf8"),
    );
    for (const policy of ttlPoliciesFromIndexes(spec)) expect(policy.field).toBe("expireAt");
  });
});

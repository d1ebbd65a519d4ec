import { FieldValue, Timestamp, type Firestore } from "@google-cloud/firestore";
import { describe, expect, test } from "vitest";
import { codeOf, unique, useTarget } from "./harness.ts";

let db: Firestore;
const target = useTarget(({ firestore }) => (db = firestore));

/** Runs `count` read-modify-write transactions at once, each adding 1; resolves to how many the SDK reports committed. */
async function concurrentIncrements(count: number, maxAttempts?: number) {
  const ref = db.collection(unique("contention")).doc("counter");
  await ref.set({ n: 0 });
  const outcomes = await Promise.allSettled(
    Array.from({ length: count }, () =>
      db.runTransaction(
        async (tx) => {
          const snapshot = await tx.get(ref);
          tx.update(ref, { n: (snapshot.get("n") as number) + 1 });
        },
        maxAttempts ? { maxAttempts } : {},
      ),
    ),
  );
  const committed = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
  return { committed, final: (await ref.get()).get("n") as number, outcomes };
}

describe("transactions", () => {
  test("a read-modify-write transaction sees the stored value and writes a server timestamp", async () => {
    const ref = db.collection(unique("tx")).doc("a");
    await ref.set({ n: 1 });
    const before = Timestamp.now();
    const result = await db.runTransaction(async (tx) => {
      const snapshot = await tx.get(ref);
      tx.set(ref, { n: (snapshot.get("n") as number) + 1, at: FieldValue.serverTimestamp() });
      return snapshot.get("n") as number;
    });
    const after = (await ref.get()).data();
    expect(result).toBe(1);
    expect(after?.n).toBe(2);
    expect((after?.at as Timestamp).toMillis()).toBeGreaterThanOrEqual(before.toMillis() - 1000);
  });

  test("a transaction that reads a missing document can create it", async () => {
    const ref = db.collection(unique("tx")).doc("new");
    await db.runTransaction(async (tx) => {
      const snapshot = await tx.get(ref);
      expect(snapshot.exists).toBe(false);
      tx.create(ref, { created: true });
    });
    expect((await ref.get()).get("created")).toBe(true);
  });

  test("a failing callback rolls back: nothing it queued is written", async () => {
    const ref = db.collection(unique("tx")).doc("a");
    await ref.set({ n: 1 });
    const failure = db.runTransaction(async (tx) => {
      await tx.get(ref);
      tx.set(ref, { n: 99 });
      throw new Error("changed my mind");
    });
    await expect(failure).rejects.toThrow("changed my mind");
    expect((await ref.get()).get("n")).toBe(1);
    await ref.set({ n: 2 }); // the rolled-back transaction holds no lock
    expect((await ref.get()).get("n")).toBe(2);
  });

  test("a create inside a transaction fails ALREADY_EXISTS when the document exists", async () => {
    const ref = db.collection(unique("tx")).doc("a");
    await ref.set({ n: 1 });
    expect(await codeOf(db.runTransaction(async (tx) => void tx.create(ref, { n: 2 })))).toBe(6);
  });

  test("a read-only transaction sees one snapshot even when a write lands between its reads", async () => {
    const collection = db.collection(unique("ro"));
    await collection.doc("a").set({ n: 1 });
    await collection.doc("b").set({ n: 1 });
    const seen = await db.runTransaction(
      async (tx) => {
        const a = await tx.get(collection.doc("a"));
        await db.batch().set(collection.doc("a"), { n: 2 }).set(collection.doc("b"), { n: 2 }).commit();
        const b = await tx.get(collection.doc("b"));
        return [a.get("n"), b.get("n")];
      },
      { readOnly: true },
    );
    expect(seen).toEqual([1, 1]);
  });

  test("a read at a past readTime sees the documents as they were then", async () => {
    const ref = db.collection(unique("readtime")).doc("a");
    const first = await ref.set({ n: 1 });
    await ref.set({ n: 2 });
    const past = await db.runTransaction((tx) => tx.get(ref), { readOnly: true, readTime: first.writeTime });
    expect(past.get("n")).toBe(1);
    expect((await ref.get()).get("n")).toBe(2);
  });

  test("a read at a future readTime is refused INVALID_ARGUMENT", async () => {
    const ref = db.collection(unique("readtime")).doc("a");
    await ref.set({ n: 1 });
    const future = Timestamp.fromMillis(Date.now() + 3_600_000);
    expect(await codeOf(db.runTransaction((tx) => tx.get(ref), { readOnly: true, readTime: future }))).toBe(
      3,
    );
  });
});

describe("contention", () => {
  test.concurrent(
    "of 100 concurrent increments, the final value counts exactly those the SDK reports committed",
    async () => {
      const { committed, final } = await concurrentIncrements(100);
      expect(committed).toBeGreaterThan(0);
      expect(final).toBe(committed);
    },
  );

  test.concurrent(
    "with maxAttempts raised, all concurrent increments commit (100; 20 on Google's)",
    async () => {
      // Parity row "contention": Google's emulator locks documents a transaction reads, so concurrent
      // read-modify-writes deadlock at commit until its lock timeout aborts them; the SDK's backoff then
      // serialises them slowly, and the time grows steeply with their number. Same invariants, fewer.
      const count = target.kind === "embedded" ? 100 : 20;
      const { committed, final, outcomes } = await concurrentIncrements(count, 100);
      expect(outcomes.filter((outcome) => outcome.status === "rejected")).toEqual([]);
      expect(committed).toBe(count);
      expect(final).toBe(count);
    },
  );

  test.concurrent("a keep-the-maximum transaction under concurrency keeps the maximum", async () => {
    const ref = db.collection(unique("maximum")).doc("m");
    const values = Array.from({ length: 30 }, (_, i) => (i * 37) % 101);
    await Promise.all(
      values.map((value) =>
        db.runTransaction(
          async (tx) => {
            const snapshot = await tx.get(ref);
            if (!snapshot.exists || (snapshot.get("max") as number) < value) tx.set(ref, { max: value });
          },
          { maxAttempts: 100 },
        ),
      ),
    );
    expect((await ref.get()).get("max")).toBe(Math.max(...values));
  });
});

import { FieldValue, Timestamp, type Firestore } from "@google-cloud/firestore";
import { describe, expect, test } from "vitest";
import { codeOf, unique, useTarget } from "./harness.ts";

let db: Firestore;
const target = useTarget(({ firestore }) => (db = firestore));

const doc = (id = "d") => db.collection(unique("docs")).doc(id);

describe("documents", () => {
  test("set then get returns the same data with create and update times", async () => {
    const ref = doc();
    const data = {
      s: "text",
      n: 42,
      f: 1.5,
      b: true,
      z: null,
      a: [1, "two"],
      m: { x: { y: 1 } },
      bytes: Buffer.from([0, 255]),
    };
    await ref.set(data);
    const snapshot = await ref.get();
    expect(snapshot.data()).toEqual({ ...data, bytes: Buffer.from([0, 255]) });
    expect(snapshot.createTime?.isEqual(snapshot.updateTime as Timestamp)).toBe(true);
  });

  test("set replaces the whole document", async () => {
    const ref = doc();
    await ref.set({ a: 1, b: 2 });
    await ref.set({ c: 3 });
    expect((await ref.get()).data()).toEqual({ c: 3 });
  });

  test("set with merge changes only the given fields, nested ones included", async () => {
    const ref = doc();
    await ref.set({ a: 1, m: { x: 1, y: 2 } });
    await ref.set({ b: 2, m: { y: 3 } }, { merge: true });
    expect((await ref.get()).data()).toEqual({ a: 1, b: 2, m: { x: 1, y: 3 } });
  });

  test("set with merge deletes a field given as FieldValue.delete", async () => {
    const ref = doc();
    await ref.set({ a: 1, b: 2, c: 3 });
    await ref.set({ a: 10, b: FieldValue.delete() }, { merge: true });
    expect((await ref.get()).data()).toEqual({ a: 10, c: 3 });
  });

  test("update changes dotted paths and deletes with FieldValue.delete", async () => {
    const ref = doc();
    await ref.set({ a: 1, m: { x: 1, y: 2 } });
    await ref.update({ "m.x": 5, a: FieldValue.delete() });
    expect((await ref.get()).data()).toEqual({ m: { x: 5, y: 2 } });
  });

  test("a write keeps the create time and advances the update time", async () => {
    const ref = doc();
    await ref.set({ a: 1 });
    const first = await ref.get();
    await ref.set({ a: 2 });
    const second = await ref.get();
    expect(second.createTime?.isEqual(first.createTime as Timestamp)).toBe(true);
    expect(second.updateTime?.toMillis()).toBeGreaterThanOrEqual(first.updateTime?.toMillis() as number);
    expect(second.updateTime?.isEqual(first.updateTime as Timestamp)).toBe(false);
  });

  test("delete removes the document, and deleting a missing one succeeds", async () => {
    const ref = doc();
    await ref.set({ a: 1 });
    await ref.delete();
    expect((await ref.get()).exists).toBe(false);
    await ref.delete();
  });

  test("getAll returns found and missing documents in request order", async () => {
    const collection = db.collection(unique("getall"));
    await collection.doc("a").set({ n: 1 });
    const [a, b] = await db.getAll(collection.doc("a"), collection.doc("b"));
    expect([a?.exists, b?.exists, a?.get("n")]).toEqual([true, false, 1]);
  });

  test("getAll with a field mask returns only the masked fields", async () => {
    const ref = doc();
    await ref.set({ a: 1, b: 2, m: { x: 1, y: 2 } });
    const [snapshot] = await db.getAll(ref, { fieldMask: ["a", "m.y"] });
    expect(snapshot?.data()).toEqual({ a: 1, m: { y: 2 } });
  });

  test("a batch applies all its writes at one commit time", async () => {
    const collection = db.collection(unique("batch"));
    const results = await db
      .batch()
      .set(collection.doc("a"), { n: 1 })
      .set(collection.doc("b"), { n: 2 })
      .commit();
    expect(results).toHaveLength(2);
    expect(results[0]?.writeTime.isEqual(results[1]?.writeTime as Timestamp)).toBe(true);
  });

  test("a batch with one failing precondition writes nothing", async () => {
    const collection = db.collection(unique("batch"));
    await collection.doc("exists").set({ n: 1 });
    const failing = db
      .batch()
      .set(collection.doc("a"), { n: 1 })
      .create(collection.doc("exists"), { n: 2 })
      .commit();
    expect(await codeOf(failing)).toBe(6);
    expect((await collection.doc("a").get()).exists).toBe(false);
  });
});

describe("preconditions", () => {
  test.each([
    [
      "create on an existing document fails ALREADY_EXISTS",
      6,
      async (ref: FirebaseRef) => ref.create({ a: 2 }),
    ],
    [
      "update on a missing document fails NOT_FOUND",
      5,
      async (ref: FirebaseRef) => ref.parent.doc("missing").update({ a: 2 }),
    ],
    [
      "update with a stale lastUpdateTime fails FAILED_PRECONDITION",
      9,
      async (ref: FirebaseRef) => ref.update({ a: 2 }, { lastUpdateTime: Timestamp.fromMillis(1000) }),
    ],
    [
      "delete with a stale lastUpdateTime fails FAILED_PRECONDITION",
      9,
      async (ref: FirebaseRef) => ref.delete({ lastUpdateTime: Timestamp.fromMillis(1000) }),
    ],
    [
      "delete requiring existence of a missing document fails NOT_FOUND",
      5,
      async (ref: FirebaseRef) => ref.parent.doc("gone").delete({ exists: true }),
    ],
  ])("%s", async (_name, code, write) => {
    const ref = doc();
    await ref.set({ a: 1 });
    expect(await codeOf(write(ref))).toBe(code);
    expect((await ref.get()).get("a")).toBe(1);
  });

  test("update and delete with the current lastUpdateTime succeed", async () => {
    const ref = doc();
    const { writeTime } = await ref.set({ a: 1 });
    const updated = await ref.update({ a: 2 }, { lastUpdateTime: writeTime });
    await ref.delete({ lastUpdateTime: updated.writeTime });
    expect((await ref.get()).exists).toBe(false);
  });
});

type FirebaseRef = ReturnType<typeof doc>;

describe("transforms", () => {
  test.each([
    ["increment adds integers", { n: 5 }, { n: FieldValue.increment(3) }, { n: 8 }],
    ["increment mixes integer and double", { n: 5 }, { n: FieldValue.increment(0.5) }, { n: 5.5 }],
    ["increment of a missing field sets the operand", {}, { n: FieldValue.increment(2) }, { n: 2 }],
    ["increment of a string sets the operand", { n: "x" }, { n: FieldValue.increment(2) }, { n: 2 }],
    ["maximum keeps the larger", { n: 5 }, { n: FieldValue.maximum(9) }, { n: 9 }],
    ["maximum keeps the stored value when larger", { n: 5 }, { n: FieldValue.maximum(1) }, { n: 5 }],
    ["minimum keeps the smaller", { n: 5 }, { n: FieldValue.minimum(1) }, { n: 1 }],
    [
      "arrayUnion appends only missing elements",
      { a: [1, 2] },
      { a: FieldValue.arrayUnion(2, 3, 3) },
      { a: [1, 2, 3] },
    ],
    ["arrayUnion on a non-array starts from empty", { a: 7 }, { a: FieldValue.arrayUnion(1) }, { a: [1] }],
    [
      "arrayRemove removes every equal element",
      { a: [1, 2, 1, 3] },
      { a: FieldValue.arrayRemove(1) },
      { a: [2, 3] },
    ],
  ])("%s", async (_name, before, update, after) => {
    const ref = doc();
    await ref.set(before);
    await ref.update(update);
    expect((await ref.get()).data()).toEqual(after);
  });

  test("increment saturates at the largest 64-bit integer", async () => {
    const exact = target.connect({ useBigInt: true });
    const ref = exact.collection(unique("docs")).doc("big");
    await ref.set({ n: 2n ** 63n - 5n });
    await ref.update({ n: FieldValue.increment(10) });
    expect((await ref.get()).get("n")).toBe(2n ** 63n - 1n);
  });

  test("serverTimestamp stores the request time in whole milliseconds, the same for every field of a commit", async () => {
    // REQUEST_TIME: "the time at which the server processed the request, with millisecond precision".
    const [first, second] = [doc(), doc()];
    const batch = db.batch().set(first, { at: FieldValue.serverTimestamp() });
    const [result] = await batch
      .set(second, { at: FieldValue.serverTimestamp(), too: FieldValue.serverTimestamp() })
      .commit();
    const stamps = [
      (await first.get()).get("at"),
      (await second.get()).get("at"),
      (await second.get()).get("too"),
    ] as Timestamp[];
    expect(stamps[0]!.nanoseconds % 1_000_000).toBe(0);
    for (const stamp of stamps) expect(stamp.isEqual(stamps[0]!)).toBe(true);
    // Parity row "serverTimestamp": the embedded emulator takes the commit time cut to the millisecond,
    // Google's its request time, a little earlier; both at or before the commit time.
    expect(stamps[0]!.toMillis()).toBeLessThanOrEqual(result!.writeTime.toMillis());
    expect(result!.writeTime.toMillis() - stamps[0]!.toMillis()).toBeLessThan(5000);
  });
});

describe("limits", () => {
  test.each([
    ["a document id of .", "."],
    ["a document id of ..", ".."],
    ["a document id matching __.*__", "__reserved__"],
    ["a document id over 1500 bytes", "x".repeat(1501)],
  ])("%s is refused INVALID_ARGUMENT", async (_name, id) => {
    const collection = db.collection(unique("limits"));
    expect(await codeOf(collection.doc(id).set({ a: 1 }))).toBe(3);
  });

  test("a document id of exactly 1500 bytes is accepted", async () => {
    const ref = db.collection(unique("limits")).doc("y".repeat(1500));
    await ref.set({ a: 1 });
    expect((await ref.get()).exists).toBe(true);
  });

  test("a field value over 1,048,487 bytes is refused INVALID_ARGUMENT naming the field", async () => {
    const ref = doc("field");
    const limit = 1_048_487; // 1 MiB - 89 bytes: a string's UTF-8 bytes, or a bytes value's length
    await ref.set({ s: "x".repeat(limit), b: Buffer.alloc(10) });
    await ref.set({ s: "é".repeat((limit - 1) / 2) });
    await ref.set({ b: Buffer.alloc(limit) });
    for (const [data, field] of [
      [{ s: "x".repeat(limit + 1) }, "s"],
      [{ s: "é".repeat((limit + 1) / 2) }, "s"],
      [{ b: Buffer.alloc(limit + 1) }, "b"],
      [{ a: ["x".repeat(limit + 1)] }, "a"],
    ] as const) {
      await expect(ref.set(data)).rejects.toMatchObject({
        code: 3,
        details: `The value of property "${field}" is longer than ${limit} bytes.`,
      });
    }
    expect(await codeOf(ref.set({ m: { s: "x".repeat(limit + 1) } }))).toBe(3);
  });

  test.each([
    ["a field name matching __.*__", { __x__: 1 }],
    ["a nested field name matching __.*__", { m: { __x__: 1 } }],
    ["an array directly inside an array", { a: [[1]] }],
  ])("%s is refused INVALID_ARGUMENT", async (_name, data) => {
    expect(await codeOf(doc().set(data))).toBe(3);
  });

  test("a field path over 1,500 bytes is refused INVALID_ARGUMENT", async () => {
    const ref = doc("names");
    await ref.set({ ["é".repeat(750)]: 1, m: { ["k".repeat(1498)]: 1 } });
    expect(await codeOf(ref.set({ ["é".repeat(751)]: 1 }))).toBe(3);
    expect(await codeOf(ref.set({ m: { ["k".repeat(1499)]: 1 } }))).toBe(3);
  });

  test("a document over 1 MiB is refused INVALID_ARGUMENT and one just under is stored", async () => {
    const ref = doc("big");
    // Storage size: name (collection + id, each +1, +16) + per field its name (+1) and string (+1) + 32.
    // Several fields, each under the 1,048,487-byte field limit, so only the document's size decides.
    const nameBytes = ref.parent.id.length + 1 + "big".length + 1 + 16;
    const fields = ["a", "b", "c"];
    const chunk = 300_000;
    const fixed = nameBytes + 32 + fields.length * (2 + 1) + (fields.length - 1) * chunk;
    const last = 1_048_576 - fixed; // the last string's length that makes exactly 1 MiB
    const build = (length: number) =>
      Object.fromEntries(
        fields.map((name, i) => [name, "x".repeat(i === fields.length - 1 ? length : chunk)]),
      );
    await ref.set(build(last));
    expect(((await ref.get()).get("c") as string).length).toBe(last);
    await expect(ref.set(build(last + 1))).rejects.toMatchObject({ code: 3 });
    expect(((await ref.get()).get("c") as string).length).toBe(last);
  });
});

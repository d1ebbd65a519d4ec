import type {
  DocumentReference,
  DocumentSnapshot,
  Firestore,
  Query,
  QuerySnapshot,
} from "@google-cloud/firestore";
import { describe, expect, test } from "vitest";
import { unique, useTarget } from "./harness.ts";

let db: Firestore;
useTarget(({ firestore }) => (db = firestore));

/** A listener's snapshots as a queue: next() waits for the next one, failing after a timeout. */
function listenTo<T extends DocumentSnapshot | QuerySnapshot>(
  subscribe: (next: (snapshot: T) => void, fail: (error: Error) => void) => () => void,
) {
  const queued: T[] = [];
  const waiting: { resolve: (snapshot: T) => void; reject: (error: Error) => void }[] = [];
  let failure: Error | undefined;
  const unsubscribe = subscribe(
    (snapshot) => {
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(snapshot);
      else queued.push(snapshot);
    },
    (error) => {
      failure = error;
      for (const waiter of waiting.splice(0)) waiter.reject(error);
    },
  );
  return {
    next(timeoutMs = 5000): Promise<T> {
      const ready = queued.shift();
      if (ready) return Promise.resolve(ready);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no snapshot in time")), timeoutMs);
        waiting.push({
          resolve: (snapshot) => {
            clearTimeout(timer);
            resolve(snapshot);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      });
    },
    unsubscribe,
  };
}

const onDocument = (ref: DocumentReference) =>
  listenTo<DocumentSnapshot>((next, fail) => ref.onSnapshot(next, fail));
const onQuery = (query: Query) => listenTo<QuerySnapshot>((next, fail) => query.onSnapshot(next, fail));

const ids = (snapshot: QuerySnapshot): string[] => snapshot.docs.map((d) => d.id);
const changes = (snapshot: QuerySnapshot): string[] =>
  snapshot.docChanges().map((change) => `${change.type} ${change.doc.id}`);

describe("listeners", () => {
  test("a document listener sees the document missing, created, updated and deleted", async () => {
    const ref = db.collection(unique("watch")).doc("a");
    const listener = onDocument(ref);
    expect((await listener.next()).exists).toBe(false);
    await ref.set({ n: 1 });
    expect((await listener.next()).data()).toEqual({ n: 1 });
    await ref.update({ n: 2 });
    expect((await listener.next()).data()).toEqual({ n: 2 });
    await ref.delete();
    expect((await listener.next()).exists).toBe(false);
    listener.unsubscribe();
  });

  test("a query listener with where and orderBy sees documents added, modified, and removed when they stop matching", async () => {
    const collection = db.collection(unique("watch"));
    await collection.doc("a").set({ n: 1, keep: true });
    await collection.doc("b").set({ n: 5, keep: false });
    const listener = onQuery(collection.where("keep", "==", true).orderBy("n", "desc"));
    const first = await listener.next();
    expect(ids(first)).toEqual(["a"]);
    expect(changes(first)).toEqual(["added a"]);
    await collection.doc("c").set({ n: 3, keep: true });
    const second = await listener.next();
    expect(ids(second)).toEqual(["c", "a"]);
    expect(changes(second)).toEqual(["added c"]);
    await collection.doc("a").update({ n: 9 });
    const third = await listener.next();
    expect(ids(third)).toEqual(["a", "c"]);
    expect(changes(third)).toEqual(["modified a"]);
    await collection.doc("c").update({ keep: false });
    expect(changes(await listener.next())).toEqual(["removed c"]);
    await collection.doc("a").delete();
    const last = await listener.next();
    expect(ids(last)).toEqual([]);
    expect(changes(last)).toEqual(["removed a"]);
    listener.unsubscribe();
  });

  /** A new collection holding a, b and c with n = 1, 2, 3. */
  const abc = async () => {
    const collection = db.collection(unique("watch"));
    for (const [n, id] of ["a", "b", "c"].entries()) await collection.doc(id).set({ n: n + 1 });
    return collection;
  };

  test("a listener with limit keeps the first results in order as documents enter and leave", async () => {
    const collection = await abc();
    const listener = onQuery(collection.orderBy("n").limit(2));
    expect(ids(await listener.next())).toEqual(["a", "b"]);
    await collection.doc("z").set({ n: 0 });
    const entered = await listener.next();
    expect(ids(entered)).toEqual(["z", "a"]);
    expect(changes(entered).sort()).toEqual(["added z", "removed b"]);
    await collection.doc("z").delete();
    expect(ids(await listener.next())).toEqual(["a", "b"]);
    listener.unsubscribe();
  });

  test("a listener with limitToLast keeps the last results in query order", async () => {
    const collection = await abc();
    const listener = onQuery(collection.orderBy("n").limitToLast(2));
    expect(ids(await listener.next())).toEqual(["b", "c"]);
    await collection.doc("d").set({ n: 4 });
    expect(ids(await listener.next())).toEqual(["c", "d"]);
    listener.unsubscribe();
  });

  test("a collection group listener sees a document written in a subcollection", async () => {
    const group = unique("watchgroup");
    const listener = onQuery(db.collectionGroup(group));
    expect(ids(await listener.next())).toEqual([]);
    await db.collection(unique("watch")).doc("p").collection(group).doc("deep").set({ n: 1 });
    expect(ids(await listener.next())).toEqual(["deep"]);
    listener.unsubscribe();
  });

  test("a write that matches no listener's query leaves the listener silent, and one commit gives one snapshot", async () => {
    const collection = db.collection(unique("watch"));
    const listener = onQuery(collection.where("n", ">", 10));
    expect(ids(await listener.next())).toEqual([]);
    await collection.doc("small").set({ n: 1 });
    await db.batch().set(collection.doc("x"), { n: 11 }).set(collection.doc("y"), { n: 12 }).commit();
    const snapshot = await listener.next();
    expect(changes(snapshot)).toEqual(["added x", "added y"]);
    // Snapshots arrive in order: had the batch given a second one, it would come before this write's.
    await collection.doc("z").set({ n: 13 });
    expect(changes(await listener.next())).toEqual(["added z"]);
    listener.unsubscribe();
  });

  test("many listeners at once each see their own document", async () => {
    const collection = db.collection(unique("watch"));
    const listeners = Array.from({ length: 50 }, (_, i) => onDocument(collection.doc(`d${i}`)));
    await Promise.all(listeners.map((listener) => listener.next()));
    await Promise.all(listeners.map((_, i) => collection.doc(`d${i}`).set({ i })));
    const seen = await Promise.all(listeners.map((listener) => listener.next()));
    expect(seen.map((snapshot) => snapshot.get("i"))).toEqual(listeners.map((_, i) => i));
    for (const listener of listeners) listener.unsubscribe();
  });

  test("a listener whose query is refused fails at once instead of retrying", async () => {
    const collection = db.collection(unique("watch"));
    const listener = onQuery(
      collection.where(
        "n",
        "in",
        Array.from({ length: 31 }, (_, i) => i),
      ),
    );
    // The refusal itself, not "no snapshot in time": an SDK that retried would never pass it on.
    await expect(listener.next()).rejects.toThrow(/30/);
    listener.unsubscribe();
  });
});

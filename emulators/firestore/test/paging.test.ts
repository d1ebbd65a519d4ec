import { Timestamp, type CollectionReference, type Firestore, type Query } from "@google-cloud/firestore";
import { describe, expect, test } from "vitest";
import { unique, useTarget } from "./harness.ts";

// A console pages through a large collection, newest first, while scans keep arriving: each page must be
// exactly the next one of the collection as it is when the page is read.

interface Service {
  scannedAt: number; // milliseconds
  service: string;
  ip: string;
}

const DOCUMENTS = 3000;
const PAGE = 50;
const BASE = Date.UTC(2025, 0, 1);

let db: Firestore;
useTarget(({ firestore }) => (db = firestore));

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % below;
  };
}

const id = (n: number): string => `s${String(n).padStart(5, "0")}`;
// Three documents share each second, so the order often falls to the document name.
const serviceOf = (n: number, next: (below: number) => number): Service => ({
  scannedAt: BASE + Math.floor(n / 3) * 1000 + (n % 3 === 0 ? 0 : next(2) * 1000),
  service: n % 4 === 0 ? "HTTP" : "SSH",
  ip: `10.0.${n % 7}.1`,
});
const stored = (service: Service) => ({ ...service, scannedAt: Timestamp.fromMillis(service.scannedAt) });

/** Seeds the collection in batches of 500 and returns the model of what it holds. */
async function seed(collection: CollectionReference, next: (below: number) => number) {
  const model = new Map<string, Service>();
  for (let start = 0; start < DOCUMENTS; start += 500) {
    const batch = db.batch();
    for (let n = start; n < Math.min(DOCUMENTS, start + 500); n++) {
      const service = serviceOf(n, next);
      model.set(id(n), service);
      batch.set(collection.doc(id(n)), stored(service));
    }
    await batch.commit();
  }
  return model;
}

/** scannedAt descending, then the document id descending, as the query orders. */
const newestFirst = ([a, x]: [string, Service], [b, y]: [string, Service]): number =>
  y.scannedAt - x.scannedAt || (a < b ? 1 : a > b ? -1 : 0);

describe("paging a large collection", () => {
  test.each<[string, (c: CollectionReference) => Query, (service: Service) => boolean]>([
    ["newest first", (c) => c.orderBy("scannedAt", "desc"), () => true],
    [
      "newest first with an equality filter",
      (c) => c.where("service", "==", "HTTP").orderBy("scannedAt", "desc"),
      (s) => s.service === "HTTP",
    ],
    [
      "newest first since a time",
      (c) => c.where("scannedAt", ">=", Timestamp.fromMillis(BASE + 300_000)).orderBy("scannedAt", "desc"),
      (s) => s.scannedAt >= BASE + 300_000,
    ],
  ])(
    "%s: every page with startAfter is the next one in order, while writes insert, move and delete between pages",
    async (_name, shape, admits) => {
      const next = random(DOCUMENTS);
      const collection = db.collection(unique("services"));
      const model = await seed(collection, next);
      const untouched = new Set(model.keys());
      const seen: string[] = [];
      let cursor: FirebaseFirestore.QueryDocumentSnapshot | undefined;
      let created = DOCUMENTS;
      for (;;) {
        const query = shape(collection).limit(PAGE);
        const page = (await (cursor ? query.startAfter(cursor) : query).get()).docs;
        const after =
          cursor && ([cursor.id, { scannedAt: cursor.get("scannedAt").toMillis() }] as [string, Service]);
        const expected = [...model]
          .filter(([, service]) => admits(service))
          .sort(newestFirst)
          .filter((entry) => !after || newestFirst(after, entry) < 0)
          .slice(0, PAGE)
          .map(([name]) => name);
        expect(page.map((document) => document.id)).toEqual(expected);
        if (page.length === 0) break;
        seen.push(...expected);
        cursor = page[page.length - 1];
        // Between pages: new scans anywhere in time, scans of known services moved, services gone.
        const batch = db.batch();
        for (let i = 0; i < 3; i++) {
          const name = id(created++);
          const service = serviceOf(next(DOCUMENTS), next);
          model.set(name, service);
          batch.set(collection.doc(name), stored(service));
        }
        for (let i = 0; i < 4; i++) {
          const name = id(next(DOCUMENTS));
          untouched.delete(name);
          if (i === 0) {
            model.delete(name);
            batch.delete(collection.doc(name));
          } else {
            const service = { ...serviceOf(next(DOCUMENTS), next), service: i === 1 ? "HTTP" : "SSH" };
            model.set(name, service);
            batch.set(collection.doc(name), stored(service));
          }
        }
        await batch.commit();
      }
      // Each page was exactly the model's next one; so every document no write touched came exactly once
      // (a document moved behind the cursor may come twice, one deleted before its page never).
      const shouldSee = [...untouched].filter((name) => admits(model.get(name) as Service));
      expect(seen.filter((name) => untouched.has(name)).sort()).toEqual(shouldSee.sort());
    },
  );

  test("limitToLast with endBefore gives the page before a document, in the query's order", async () => {
    const collection = db.collection(unique("services"));
    const model = await seed(collection, random(7));
    const sorted = [...model].sort(newestFirst).map(([name]) => name);
    const middle = await collection.doc(sorted[1000] as string).get();
    const page = await collection.orderBy("scannedAt", "desc").endBefore(middle).limitToLast(PAGE).get();
    expect(page.docs.map((document) => document.id)).toEqual(sorted.slice(1000 - PAGE, 1000));
  });
});

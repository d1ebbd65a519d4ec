// Pagination across shards against a model. Any stored services and rejects, any filter, any page size, and
// scans arriving between pages: the pages together are the listing as it stood at its first page, newest
// first, ties by id descending, with no duplicate and no gap. The model is the whole collection read with one
// plain get and sorted here, so it shares nothing with read.ts but the contract. Runs on the embedded
// emulator in `npm test` and on Google's in `npm run test:google`.
import { Timestamp } from "@google-cloud/firestore";
import * as fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { firestoreReader, type Page, type ServiceFilters } from "../../src/api/read.ts";
import { pageTokens, type Cursor } from "../../src/api/token.ts";
import { parseConfig } from "../../src/config.ts";
import { reasons } from "../../src/reasons.ts";
import { shardGroups } from "../../src/shard.ts";
import { startFirestore, type FirestoreTarget } from "../harness.ts";
import { seeder } from "./harness.ts";

let firestore: FirestoreTarget;
beforeAll(async () => {
  firestore = await startFirestore();
});
afterAll(() => firestore.stop());

const base = 1_700_000_000;
// Few values of each, so filters match several documents and scan times tie.
const scan = fc.record({
  ip: fc.constantFrom("10.0.0.1", "10.0.0.2", "10.0.0.10", "2001:db8::1"),
  port: fc.constantFrom(22, 80, 443),
  service: fc.constantFrom("HTTP", "SSH"),
  timestamp: fc.integer({ min: base, max: base + 4 }),
  response: fc.constantFrom("a", "b"),
});
/** Absent three times in four, so most listings span several pages and both groups of shards. */
const sometimes = <T>(value: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: value, weight: 1 });
const filters = fc.record({
  ip: sometimes(fc.constantFrom("10.0.0.1", "2001:db8::1")),
  port: sometimes(fc.constantFrom(22, 443)),
  service: sometimes(fc.constantFrom("HTTP", "SSH")),
  since: sometimes(fc.integer({ min: base, max: base + 2 }).map((seconds) => new Date(seconds * 1000))),
});

type Listed = { id: string; time: Timestamp };
const byIdBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
/** Firestore's order for these listings: time descending, then id descending. */
const newestFirst = (a: Listed, b: Listed) =>
  b.time.toMillis() - a.time.toMillis() || b.time.nanoseconds - a.time.nanoseconds || byIdBytes(b.id, a.id);

/** Every page of a listing, each cursor carried through a signed page token as the API carries it. */
async function pageThrough(
  read: (cursor: Cursor | undefined) => Promise<Page>,
  between: () => Promise<void>,
): Promise<{ ids: string[]; pages: number }> {
  const tokens = pageTokens("a secret");
  const ids: string[] = [];
  let cursor: Cursor | undefined;
  let pages = 0;
  do {
    const page = await read(cursor);
    ids.push(...page.items.map((item) => item.id));
    cursor = page.next && tokens.verify("listing", tokens.issue("listing", page.next));
    pages++;
    await between();
  } while (cursor !== undefined);
  return { ids, pages };
}

let run = 0;
/** Fresh collections, with writers that store as ingestScan does, and the API's Reader over them. */
function fresh() {
  const seed = seeder(firestore.host, `pages-${++run}`);
  const reader = firestoreReader(
    seed.client,
    parseConfig({
      FIRESTORE_EMULATOR_HOST: firestore.host,
      SERVICES_COLLECTION: seed.collections.services,
      REJECTS_COLLECTION: seed.collections.rejects,
    }),
  );
  return { seed, reader };
}

describe("listings across shards, against a model", () => {
  test("services: any scans, filter and page size; scans between pages change nothing listed", async () => {
    const groupsSeen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(scan, { minLength: 1, maxLength: 30 }),
        filters,
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        async (scans, given, limit, rescanned) => {
          const { seed, reader } = fresh();
          try {
            for (const one of scans)
              await seed.scan(one.ip, one.port, one.service, one.timestamp, one.response);
            const stored = (await seed.client.collection(seed.collections.services).get()).docs;
            const ip = given.ip?.includes(":") ? `[${given.ip}]` : given.ip;
            const model = stored
              .filter((document) => ip === undefined || document.id.startsWith(`${ip}:`))
              .filter((document) => given.port === undefined || document.get("port") === given.port)
              .filter((document) => given.service === undefined || document.get("service") === given.service)
              .map((document) => ({ id: document.id, time: document.get("scannedAt") as Timestamp }))
              .filter(({ time }) => given.since === undefined || time.toMillis() >= given.since.getTime())
              .sort(newestFirst)
              .map(({ id }) => id);
            for (const document of stored)
              groupsSeen.add(shardGroups.findIndex((group) => group.includes(document.get("shard"))));
            // Between pages, newer scans of stored keys (listed or not yet) move them to the top of the
            // listing now; read at the first page's snapshot, they stay where they were.
            let pagesRead = 0;
            const between = async () => {
              const one = scans[rescanned[pagesRead++ % rescanned.length]! % scans.length]!;
              await seed.scan(one.ip, one.port, one.service, base + 10 + pagesRead, one.response);
            };
            const filtersGiven: ServiceFilters = Object.fromEntries(
              Object.entries(given).filter(([, value]) => value !== undefined),
            );
            const listed = await pageThrough(
              (cursor) => reader.services(filtersGiven, limit, cursor),
              between,
            );
            expect(listed.ids).toEqual(model);
            expect(listed.pages).toBe(Math.max(1, Math.ceil(model.length / limit)));
          } finally {
            await seed.client.terminate();
          }
        },
      ),
      { numRuns: 25 },
    );
    // The documents fell in every group of shards, so pages merged more than one query.
    expect(groupsSeen).toEqual(new Set(shardGroups.map((_, index) => index)));
  });

  test("rejects: any reasons, with or without a reason filter and since, any page size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...reasons.slice(0, 3)), { minLength: 1, maxLength: 16 }),
        fc.option(fc.constantFrom(...reasons.slice(0, 3)), { nil: undefined }),
        fc.boolean(),
        fc.integer({ min: 1, max: 5 }),
        async (rejected, reason, withSince, limit) => {
          const { seed, reader } = fresh();
          try {
            // Several at once, so some may share a commit time and order by id.
            await Promise.all(rejected.map((one) => seed.reject(one)));
            const stored = (await seed.client.collection(seed.collections.rejects).get()).docs.map(
              (document) => ({
                id: document.id,
                time: document.get("rejectedAt") as Timestamp,
                reason: document.get("reason") as string,
              }),
            );
            const times = stored.map(({ time }) => time.toDate()).sort((a, b) => a.getTime() - b.getTime());
            const since = withSince ? times[Math.floor(times.length / 2)] : undefined;
            const model = stored
              .filter((document) => reason === undefined || document.reason === reason)
              .filter(({ time }) => since === undefined || time.toDate() >= since)
              .sort(newestFirst)
              .map(({ id }) => id);
            const listed = await pageThrough(
              (cursor) => reader.rejects({ reason, since }, limit, cursor),
              () => seed.reject("invalid_json").then(() => undefined),
            );
            expect(listed.ids).toEqual(model);
          } finally {
            await seed.client.terminate();
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});

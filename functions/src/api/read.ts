// The API's Firestore reads: one document, pages of a newest-first listing at one snapshot, and count
// aggregations. Every query here has its composite in firestore.indexes.json, and every composite that ends
// in a time starts with ip or shard, so none caps writes (docs/read-api.md says what a page costs).
import {
  FieldPath,
  Timestamp,
  type CollectionReference,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
} from "@google-cloud/firestore";
import type { Config } from "../config.ts";
import { reasons, type Reason } from "../reasons.ts";
import { HISTORY_COLLECTION } from "../documents.ts";
import { shardGroups } from "../shard.ts";
import type { Cursor } from "./token.ts";

/** A document read: its id and stored fields. */
export interface Stored {
  id: string;
  data: Record<string, unknown>;
}

/** One page and, when more may follow, where the next starts. */
export interface Page {
  items: Stored[];
  next: Cursor | undefined;
}

/** Filters of the services listing, canonical. */
export interface ServiceFilters {
  ip?: string;
  port?: number;
  service?: string;
  since?: Date;
}

/** The reads the API makes. */
export interface Reader {
  service(key: string): Promise<Stored | undefined>;
  services(filters: ServiceFilters, limit: number, cursor: Cursor | undefined): Promise<Page>;
  rejects(
    filters: { reason?: Reason; since?: Date },
    limit: number,
    cursor: Cursor | undefined,
  ): Promise<Page>;
  stats(): Promise<{ services: number; rejects: number; rejectsByReason: Record<Reason, number> }>;
  /** A page of a service's history, newest lastSeen first (ids are response hashes); undefined: no service. */
  history(key: string, limit: number, cursor: Cursor | undefined): Promise<Page | undefined>;
}

/** A document's fields as readers see them: a service's `history` map is storage (slots), read as entries. */
function shown(data: Record<string, unknown>): Record<string, unknown> {
  const { history: _history, ...fields } = data;
  return fields;
}

const pair = (time: Timestamp): [number, number] => [time.seconds, time.nanoseconds];
const timestamp = ([seconds, nanoseconds]: [number, number]) => new Timestamp(seconds, nanoseconds);

/** The Reader over a Firestore client and the configured collections. */
export function firestoreReader(firestore: Firestore, config: Config, now: () => number = Date.now): Reader {
  const services = firestore.collection(config.servicesCollection);
  /**
   * With SERVICE_TTL_DAYS, the oldest scan time still shown: Firestore's TTL deletion may take a day, so what
   * has expired but is not yet deleted is hidden here (docs/contract.md §3, expiry).
   */
  const keptSince = (): Timestamp | undefined =>
    config.serviceTtlDays === undefined
      ? undefined
      : new Timestamp(Math.floor(now() / 1000) - config.serviceTtlDays * 86_400, 0);
  const expired = (scannedAt: unknown) => {
    const since = keptSince();
    return since !== undefined && (!(scannedAt instanceof Timestamp) || scannedAt < since);
  };
  const rejects = firestore.collection(config.rejectsCollection);

  /** Runs the query at a snapshot's read time (a later page), or now (a first page). */
  async function run(query: Query, readTime: Timestamp | undefined) {
    if (readTime === undefined) {
      const snapshot = await query.get();
      return { docs: snapshot.docs, readTime: snapshot.readTime };
    }
    // A read-only transaction at a read time sends the query with read_time: no transaction round trip.
    const docs = await firestore.runTransaction(async (transaction) => (await transaction.get(query)).docs, {
      readOnly: true,
      readTime,
    });
    return { docs, readTime };
  }

  /**
   * A page of a listing newest `timeField` first, ties by id descending: one query per group of shards
   * (`shard in [...]`, through a composite that starts with shard), all at one snapshot, merged. Each query
   * reads at most `limit + 1` documents, so the union holds the listing's next `limit + 1`: the extra one
   * says whether more follow, and the cursor (the last item's time and id) resumes every group exactly there.
   */
  async function newestFirst(
    collection: CollectionReference,
    equalities: readonly (readonly [string, unknown])[],
    timeField: "scannedAt" | "rejectedAt",
    since: Date | undefined,
    shards: readonly (readonly number[] | undefined)[],
    limit: number,
    cursor: Cursor | undefined,
  ): Promise<Page> {
    const queries = shards.map((group) => {
      let query: Query = collection;
      for (const [field, value] of equalities) query = query.where(field, "==", value);
      if (group !== undefined) query = query.where("shard", "in", group);
      if (since !== undefined) query = query.where(timeField, ">=", Timestamp.fromDate(since));
      query = query.orderBy(timeField, "desc").orderBy(FieldPath.documentId(), "desc");
      if (cursor?.after) query = query.startAfter(timestamp(cursor.after), cursor.id);
      return query.limit(limit + 1);
    });
    // Every query of a page at one snapshot: a first page fixes it with its first query.
    const first = await run(queries[0]!, cursor && timestamp(cursor.readTime));
    const rest = await Promise.all(queries.slice(1).map((query) => run(query, first.readTime)));
    const docs = merge([first.docs, ...rest.map((result) => result.docs)], timeField);
    const items = docs.slice(0, limit).map((document) => ({ id: document.id, data: shown(document.data()) }));
    const last = docs.length > limit ? docs[limit - 1] : undefined;
    if (last === undefined) return { items, next: undefined };
    const after = pair(last.get(timeField) as Timestamp);
    return { items, next: { after, id: last.id, readTime: pair(first.readTime) } };
  }

  return {
    async service(key) {
      const snapshot = await services.doc(key).get();
      if (!snapshot.exists || expired(snapshot.get("scannedAt"))) return undefined;
      return { id: snapshot.id, data: shown(snapshot.data() ?? {}) };
    },

    async services(filters, limit, cursor) {
      const equalities = (["ip", "port", "service"] as const).flatMap((field) =>
        filters[field] === undefined ? [] : [[field, filters[field]] as const],
      );
      // One host's services are few and scanned at random times, so the ip composites need no shard.
      const shards = filters.ip === undefined ? shardGroups : [undefined];
      const kept = keptSince()?.toDate();
      const since = kept && (!filters.since || filters.since < kept) ? kept : filters.since;
      return newestFirst(services, equalities, "scannedAt", since, shards, limit, cursor);
    },

    async rejects(filters, limit, cursor) {
      const equalities = filters.reason === undefined ? [] : [["reason", filters.reason] as const];
      return newestFirst(rejects, equalities, "rejectedAt", filters.since, shardGroups, limit, cursor);
    },

    async history(key, limit, cursor) {
      const reference = services.doc(key);
      const readTime = cursor && timestamp(cursor.readTime);
      // The document and the page's slots at one snapshot: the map names each slot the page needs.
      return firestore.runTransaction(
        async (transaction) => {
          const snapshot = await transaction.get(reference);
          if (!snapshot.exists || expired(snapshot.get("scannedAt"))) return undefined;
          const kept = keptSince();
          const current = snapshot.get("responseSha256") as string;
          const map = (snapshot.get("history") ?? {
            // A document from before history: its current response alone.
            [current]: { firstSeen: snapshot.get("scannedAt"), lastSeen: snapshot.get("scannedAt") },
          }) as Record<string, { firstSeen: Timestamp; lastSeen: Timestamp; slot?: number }>;
          const newer = (a: [string, Timestamp], b: [string, Timestamp]) =>
            b[1].seconds - a[1].seconds || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0);
          const entries = Object.entries(map)
            .filter(([, entry]) => kept === undefined || entry.lastSeen >= kept)
            .filter(
              ([sha, entry]) =>
                !cursor || newer([cursor.id, timestamp(cursor.after)], [sha, entry.lastSeen]) < 0,
            )
            .sort(([a, x], [b, y]) => newer([a, x.lastSeen], [b, y.lastSeen]))
            .slice(0, limit + 1);
          const page = entries.slice(0, limit);
          const slotted = page.filter(([sha]) => sha !== current);
          const slots = slotted.length
            ? await transaction.getAll(
                ...slotted.map(([, entry]) =>
                  reference.collection(HISTORY_COLLECTION).doc(String(entry.slot)),
                ),
              )
            : [];
          const texts = new Map(slotted.map(([sha], index) => [sha, slots[index]!]));
          const responseOf = (sha: string) => {
            const source = sha === current ? snapshot : texts.get(sha);
            return Object.fromEntries(
              ["response", "responseBytes", "responseSize", "responseTruncated"].flatMap((field) => {
                const value: unknown = source?.get(field);
                return value === undefined ? [] : [[field, value]];
              }),
            );
          };
          const items = page.map(([sha, entry]) => ({
            id: sha,
            data: {
              firstSeen: entry.firstSeen,
              lastSeen: entry.lastSeen,
              current: sha === current,
              ...responseOf(sha),
            },
          }));
          const last = entries.length > limit ? page[page.length - 1] : undefined;
          const snapshotTime = readTime ?? snapshot.readTime;
          return {
            items,
            next: last && { after: pair(last[1].lastSeen), id: last[0], readTime: pair(snapshotTime) },
          };
        },
        { readOnly: true, ...(readTime && { readTime }) },
      );
    },

    async stats() {
      const count = async (query: Query) => (await query.count().get()).data().count;
      const kept = keptSince();
      // With expiry, only the services still shown: per group of shards, through (shard, scannedAt desc).
      const countServices = async () =>
        kept === undefined
          ? count(services)
          : (
              await Promise.all(
                shardGroups.map((group) =>
                  count(services.where("shard", "in", group).where("scannedAt", ">=", kept)),
                ),
              )
            ).reduce((sum, part) => sum + part, 0);
      const [serviceCount, rejectCount, ...byReason] = await Promise.all([
        countServices(),
        count(rejects),
        ...reasons.map((reason) => count(rejects.where("reason", "==", reason))),
      ]);
      return {
        services: serviceCount!,
        rejects: rejectCount!,
        rejectsByReason: Object.fromEntries(
          reasons.map((reason, index) => [reason, byReason[index]!]),
        ) as Record<Reason, number>,
      };
    },
  };
}

/** Documents of several listings in one order: `timeField` descending, then id descending. */
function merge(lists: QueryDocumentSnapshot[][], timeField: string): QueryDocumentSnapshot[] {
  const time = (document: QueryDocumentSnapshot) => document.get(timeField) as Timestamp;
  return lists.flat().sort((a, b) => {
    const byTime = time(b).seconds - time(a).seconds || time(b).nanoseconds - time(a).nanoseconds;
    // Firestore orders ids by their UTF-8 bytes.
    return byTime !== 0 ? byTime : Buffer.compare(Buffer.from(b.id), Buffer.from(a.id));
  });
}

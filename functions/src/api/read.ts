// The API's Firestore reads: one document, pages of a listing at one snapshot, and count aggregations.
// Every query here has its index in firestore.indexes.json; none needs a single-field index on scannedAt
// or rejectedAt (docs/read-api.md says why and what that costs).
import {
  FieldPath,
  Timestamp,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
} from "@google-cloud/firestore";
import type { Config } from "../config.ts";
import { reasons, type Reason } from "../reasons.ts";
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
}

const pair = (time: Timestamp): [number, number] => [time.seconds, time.nanoseconds];
const timestamp = ([seconds, nanoseconds]: [number, number]) => new Timestamp(seconds, nanoseconds);

/** The Reader over a Firestore client and the configured collections. */
export function firestoreReader(firestore: Firestore, config: Config): Reader {
  const services = firestore.collection(config.servicesCollection);
  const rejects = firestore.collection(config.rejectsCollection);

  /** Runs the query at the cursor's snapshot (a later page) or now (a first page). */
  async function run(query: Query, cursor: Cursor | undefined) {
    if (cursor === undefined) {
      const snapshot = await query.get();
      return { docs: snapshot.docs, readTime: snapshot.readTime };
    }
    const readTime = timestamp(cursor.readTime);
    // A read-only transaction at a read time sends the query with read_time: no transaction round trip.
    const docs = await firestore.runTransaction(async (transaction) => (await transaction.get(query)).docs, {
      readOnly: true,
      readTime,
    });
    return { docs, readTime };
  }

  /** The page of `limit` from `limit + 1` documents read: the extra one says whether more follow. */
  function page(docs: QueryDocumentSnapshot[], limit: number, readTime: Timestamp, timeField?: string): Page {
    const items = docs.slice(0, limit).map((document) => ({ id: document.id, data: document.data() }));
    const last = docs.length > limit ? docs[limit - 1] : undefined;
    if (last === undefined) return { items, next: undefined };
    const after = timeField === undefined ? undefined : (last.get(timeField) as Timestamp);
    return { items, next: { ...(after && { after: pair(after) }), id: last.id, readTime: pair(readTime) } };
  }

  return {
    async service(key) {
      const snapshot = await services.doc(key).get();
      return snapshot.exists ? { id: snapshot.id, data: snapshot.data() ?? {} } : undefined;
    },

    async services(filters, limit, cursor) {
      let query: Query = services;
      if (filters.ip !== undefined) query = query.where("ip", "==", filters.ip);
      if (filters.port !== undefined) query = query.where("port", "==", filters.port);
      if (filters.service !== undefined) query = query.where("service", "==", filters.service);
      const filtered = query !== services;
      if (filtered) {
        // Newest first through a composite (equality fields, scannedAt desc); ties by key, descending.
        if (filters.since !== undefined)
          query = query.where("scannedAt", ">=", Timestamp.fromDate(filters.since));
        query = query.orderBy("scannedAt", "desc").orderBy(FieldPath.documentId(), "desc");
        if (cursor?.after) query = query.startAfter(timestamp(cursor.after), cursor.id);
      } else {
        // Across every service: by key, which needs no index on the sequentially increasing scannedAt.
        query = query.orderBy(FieldPath.documentId());
        if (cursor) query = query.startAfter(cursor.id);
      }
      const { docs, readTime } = await run(query.limit(limit + 1), cursor);
      return page(docs, limit, readTime, filtered ? "scannedAt" : undefined);
    },

    async rejects(filters, limit, cursor) {
      // Newest first through (reason, rejectedAt desc): for every reason at once, the pages of each
      // reason merged, so no query needs the single-field rejectedAt index. Reasons are a closed set.
      const queries = (filters.reason === undefined ? reasons : [filters.reason]).map((reason) => {
        let query = rejects.where("reason", "==", reason);
        if (filters.since !== undefined)
          query = query.where("rejectedAt", ">=", Timestamp.fromDate(filters.since));
        query = query.orderBy("rejectedAt", "desc").orderBy(FieldPath.documentId(), "desc");
        if (cursor?.after) query = query.startAfter(timestamp(cursor.after), cursor.id);
        return query.limit(limit + 1);
      });
      let readTime = cursor === undefined ? undefined : timestamp(cursor.readTime);
      if (readTime === undefined && queries.length > 1) {
        // One snapshot for all reasons: the first page too reads every reason at the same time.
        const first = await run(queries[0]!, undefined);
        readTime = first.readTime;
        const rest = await Promise.all(
          queries.slice(1).map((query) => run(query, { id: "", readTime: pair(readTime!) })),
        );
        return page(merge([first.docs, ...rest.map((result) => result.docs)]), limit, readTime, "rejectedAt");
      }
      const results = await Promise.all(queries.map((query) => run(query, cursor)));
      return page(
        merge(results.map((result) => result.docs)),
        limit,
        readTime ?? results[0]!.readTime,
        "rejectedAt",
      );
    },

    async stats() {
      const count = async (query: Query) => (await query.count().get()).data().count;
      const [serviceCount, rejectCount, ...byReason] = await Promise.all([
        count(services),
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

/** Documents of several listings in one order: rejectedAt descending, then id descending. */
function merge(lists: QueryDocumentSnapshot[][]): QueryDocumentSnapshot[] {
  const time = (document: QueryDocumentSnapshot) => document.get("rejectedAt") as Timestamp;
  return lists.flat().sort((a, b) => {
    const byTime = time(b).seconds - time(a).seconds || time(b).nanoseconds - time(a).nanoseconds;
    // Ids compared as Firestore does for the ASCII ids messages have (digits, or sha256- and hex).
    return byTime !== 0 ? byTime : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}

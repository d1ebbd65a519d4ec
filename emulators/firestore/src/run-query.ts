import { invalidArgument } from "@scan-ingest/emulator-shared/status";
import { aggregate, aggregatedFields } from "./aggregation.ts";
import type { Database } from "./database.ts";
import { toWire } from "./documents.ts";
import { projected, queryKeys, runStructuredQuery } from "./query.ts";
import { toTimestamp } from "./time.ts";
import type { Aggregation, Document, ReadConsistency, StructuredQuery, Timestamp, Value } from "./wire.ts";

export interface RunQueryRequest extends ReadConsistency {
  parent: string;
  structuredQuery?: StructuredQuery;
}

export interface RunQueryResponse {
  document?: Document;
  readTime: Timestamp;
  transaction?: Buffer;
  skippedResults?: number;
}

/** RunQuery: one response per result (or one without a document when none), all at one read time. */
export async function runQuery(db: Database, request: RunQueryRequest): Promise<RunQueryResponse[]> {
  const query = request.structuredQuery;
  if (!query) throw invalidArgument("RunQuery needs a structured query");
  const { value, readTime, transaction } = await db.read(
    databaseOf(request.parent),
    request,
    queryKeys(request.parent, query),
    (time) => runStructuredQuery(db, request.parent, query, time),
  );
  db.counters.documentsRead += Math.max(1, value.length); // Firestore bills an empty result as one read
  const responses: RunQueryResponse[] = value.map((document) => ({
    document: toWire(projected(document, query)),
    readTime: toTimestamp(readTime),
  }));
  if (responses.length === 0) responses.push({ readTime: toTimestamp(readTime) });
  if (transaction) (responses[0] as RunQueryResponse).transaction = transaction;
  return responses;
}

export interface RunAggregationQueryRequest extends ReadConsistency {
  parent: string;
  structuredAggregationQuery?: { structuredQuery?: StructuredQuery; aggregations?: Aggregation[] };
}

const MAX_AGGREGATIONS = 5;

/** RunAggregationQuery: count, sum and avg over a query's results, in one response. */
export async function runAggregationQuery(db: Database, request: RunAggregationQueryRequest) {
  const query = request.structuredAggregationQuery?.structuredQuery;
  const aggregations = request.structuredAggregationQuery?.aggregations ?? [];
  if (!query || aggregations.length === 0)
    throw invalidArgument("RunAggregationQuery needs a query and aggregations");
  // StructuredAggregationQuery.aggregations: "a minimum of one and maximum of five aggregations per query".
  if (aggregations.length > MAX_AGGREGATIONS)
    throw invalidArgument(
      `aggregations: at most ${MAX_AGGREGATIONS} aggregations per query, got ${aggregations.length}`,
    );
  const { value, readTime, transaction } = await db.read(
    databaseOf(request.parent),
    request,
    queryKeys(request.parent, query),
    // Firestore aggregates only the documents that have every field a sum or avg names, as if filtered.
    (time) => runStructuredQuery(db, request.parent, query, time, aggregatedFields(aggregations)),
  );
  // Firestore bills one read per batch of up to 1000 index entries scanned, at least one.
  db.counters.documentsRead += Math.max(1, Math.ceil(value.length / 1000));
  const aggregateFields: Record<string, Value> = {};
  for (const aggregation of aggregations)
    aggregateFields[aggregation.alias ?? ""] = aggregate(value, aggregation);
  return { result: { aggregateFields }, readTime: toTimestamp(readTime), transaction };
}

const databaseOf = (parent: string): string => parent.split("/").slice(0, 4).join("/");

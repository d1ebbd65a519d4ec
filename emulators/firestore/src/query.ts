import { invalidArgument } from "@scan-ingest/emulator-shared/status";
import { type Database, collectionKey, groupKey } from "./database.ts";
import { fieldValue, inequalityFields, matches, validateFilter } from "./filters.ts";
import { indexScan } from "./index-scan.ts";
import { compareOrderValues, orderValues } from "./ordered-index.ts";
import { parseFieldPath, parseName } from "./paths.ts";
import { projectFields } from "./fields.ts";
import { findNearest } from "./vector.ts";
import type { DocumentVersion } from "./store.ts";
import type { Micros } from "./time.ts";
import { compareStrings } from "./values.ts";
import type { Cursor, Order, StructuredQuery, Value } from "./wire.ts";

/** The orders a query really sorts by: the explicit ones, then inequality fields, then __name__. */
export function effectiveOrder(query: StructuredQuery): Order[] {
  const orders = [...(query.orderBy ?? [])];
  const named = new Set(orders.map((order) => order.field?.fieldPath));
  const lastDirection = orders[orders.length - 1]?.direction ?? "ASCENDING";
  // The implicit orders follow the inequality fields in lexicographic order, and __name__ always comes last.
  const inequalities = [...new Set(inequalityFields(query.where))].filter((path) => path !== "__name__");
  for (const fieldPath of inequalities.sort(compareStrings)) {
    if (!named.has(fieldPath)) orders.push({ field: { fieldPath }, direction: lastDirection });
    named.add(fieldPath);
  }
  if (!named.has("__name__")) orders.push({ field: { fieldPath: "__name__" }, direction: lastDirection });
  return orders;
}

/** Where a document stands relative to a cursor in the query's order: -1 before, 0 at, 1 after. */
function compareToCursor(document: DocumentVersion, cursor: Cursor, orders: Order[]): number {
  const values = cursor.values ?? [];
  if (values.length > orders.length)
    throw invalidArgument("A cursor has more values than the query has orders");
  // The matcher has checked that every order field is present before it compares with a cursor.
  return compareOrderValues(orderValues(document, orders.slice(0, values.length)) as Value[], values, orders);
}

/** Whether a document lies in the query's scope: the named collections below the parent. */
function inScope(document: DocumentVersion, parent: string, query: StructuredQuery): boolean {
  if (!document.name.startsWith(`${parent}/`)) return false;
  const segments = document.name.slice(parent.length + 1).split("/");
  const collectionId = segments[segments.length - 2];
  // An all-descendants selector with an empty collection id (recursiveDelete's) takes every collection.
  return (query.from ?? []).some((selector) =>
    selector.allDescendants
      ? !selector.collectionId || selector.collectionId === collectionId
      : segments.length === 2 && selector.collectionId === collectionId,
  );
}

/** The keys a transactional query locks: the collections it scans, so no write can change its result. */
export function queryKeys(parent: string, query: StructuredQuery): string[] {
  const { database } = parseName(parent);
  return (query.from ?? []).map((selector) =>
    selector.allDescendants
      ? groupKey(database, selector.collectionId ?? "")
      : collectionKey(`${parent}/${selector.collectionId ?? ""}`),
  );
}

/** Whether a document is a result of the query before offset and limit: scope, order fields, filter, cursors. */
export function queryMatcher(
  parent: string,
  query: StructuredQuery,
  required: string[] = [],
): (document: DocumentVersion) => boolean {
  parseName(parent);
  validateFilter(query.where);
  const orders = effectiveOrder(query);
  const { where, startAt, endAt } = query;
  return (document) =>
    inScope(document, parent, query) &&
    orders.every((order) => fieldValue(document, order.field?.fieldPath ?? "") !== undefined) &&
    required.every((fieldPath) => fieldValue(document, fieldPath) !== undefined) &&
    (!where || matches(document, where)) &&
    (!startAt || compareToCursor(document, startAt, orders) >= (startAt.before ? 0 : 1)) &&
    (!endAt || compareToCursor(document, endAt, orders) <= (endAt.before ? -1 : 0));
}

/**
 * A structured query under `parent` over the documents as of `time`. `required` names fields a document must
 * have (any value) to take part, before offset and limit.
 */
type QueryRun<Result> = (
  db: Database,
  parent: string,
  query: StructuredQuery,
  time: Micros,
  required?: string[],
) => Result;

/**
 * Runs a structured query: filter, order, cursors, offset, limit. A query on one collection's current
 * documents walks an ordered index; any other scans.
 */
export const runStructuredQuery: QueryRun<DocumentVersion[]> = (db, parent, query, time, required = []) =>
  indexedQuery(db, parent, query, time, required) ?? scanQuery(db, parent, query, time, required);

/** The query's results from an ordered index, or undefined when no index can serve it. */
export const indexedQuery: QueryRun<DocumentVersion[] | undefined> = (
  db,
  parent,
  query,
  time,
  required = [],
) => {
  const admits = queryMatcher(parent, query, required);
  return indexScan(db.store, parent, query, effectiveOrder(query), admits, time);
};

/** The query's results by matching every candidate document, then sorting them all. */
export const scanQuery: QueryRun<DocumentVersion[]> = (db, parent, query, time, required = []) => {
  const admits = queryMatcher(parent, query, required);
  const orders = effectiveOrder(query);
  const results = [...candidates(db, parent, query, time)].filter(admits);
  if (query.findNearest) {
    refuseWithFindNearest(query);
    return findNearest(results, query.findNearest);
  }
  // Each document's order values are read once, not at every comparison.
  const sorted = results
    .map((document) => ({ document, values: orderValues(document, orders) as Value[] }))
    .sort((a, b) => compareOrderValues(a.values, b.values, orders))
    .map(({ document }) => document);
  const offset = query.offset ?? 0;
  const limit = query.limit?.value;
  return sorted.slice(offset, limit === undefined ? undefined : offset + limit);
};

/** The documents that may be in the query's scope: one collection's when it names one, else every document. */
function candidates(
  db: Database,
  parent: string,
  query: StructuredQuery,
  time: Micros,
): Iterable<DocumentVersion> {
  const [selector, ...others] = query.from ?? [];
  if (!selector || selector.allDescendants || others.length > 0) return db.store.documentsAt(time);
  return db.store.documentsIn(`${parent}/${selector.collectionId ?? ""}`, time);
}

/** What Firestore refuses beside find_nearest; an explicit order is refused too, as it would be ignored. */
function refuseWithFindNearest(query: StructuredQuery): void {
  if (query.limit !== undefined) throw invalidArgument("A query limit cannot be used with FindNearest");
  if (query.offset) throw invalidArgument("A query offset cannot be used with FindNearest");
  if (query.startAt || query.endAt) throw invalidArgument("A cursor cannot be used with FindNearest");
  if (query.orderBy?.length)
    throw invalidArgument("order_by cannot be used with FindNearest: results are in distance order");
}

/** A query result as sent: all fields, or only the selected ones. */
export function projected(document: DocumentVersion, query: StructuredQuery): DocumentVersion {
  if (!query.select) return document;
  const paths = (query.select.fields ?? [])
    .map((field) => field.fieldPath ?? "")
    .filter((path) => path !== "__name__")
    .map(parseFieldPath);
  return { ...document, fields: projectFields(document.fields, paths) };
}

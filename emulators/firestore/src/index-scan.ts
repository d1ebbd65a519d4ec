// Which stretch of an ordered index can hold a query's results: the same results as a full scan, found in
// O(log n + page). Every document walked still goes through the query's matcher; the bounds only skip
// documents that cannot match.
import type { OrderedIndex } from "./ordered-index.ts";
import type { DocumentStore, DocumentVersion } from "./store.ts";
import type { Micros } from "./time.ts";
import { compareStrings } from "./values.ts";
import type { Cursor, Filter, Order, StructuredQuery, Value } from "./wire.ts";

/** The filters that must all hold: the AND composites flattened; an OR is one opaque filter. */
function conjuncts(filter: Filter | undefined): Filter[] {
  if (!filter) return [];
  if (filter.compositeFilter && filter.compositeFilter.op !== "OR")
    return (filter.compositeFilter.filters ?? []).flatMap(conjuncts);
  return [filter];
}

/** The `field == value` conjuncts by field path: the index leads with them, so their matches lie together. */
function equalities(filters: Filter[]): { fieldPath: string; value: Value }[] {
  return filters
    .flatMap(({ fieldFilter }) =>
      fieldFilter?.op === "EQUAL" && fieldFilter.value !== undefined
        ? [{ fieldPath: fieldFilter.field?.fieldPath ?? "", value: fieldFilter.value }]
        : [],
    )
    .sort((a, b) => compareStrings(a.fieldPath, b.fieldPath));
}

const RANGES = new Set(["LESS_THAN", "LESS_THAN_OR_EQUAL", "GREATER_THAN", "GREATER_THAN_OR_EQUAL"]);

/** Whether the query reads one collection's current documents in an order an index can serve. */
function servable(store: DocumentStore, query: StructuredQuery, orders: Order[], time: Micros): boolean {
  const offset = query.offset ?? 0;
  const limit = query.limit?.value;
  const cursorFits = (cursor: Cursor | undefined) => (cursor?.values ?? []).length <= orders.length;
  return (
    query.from?.length === 1 &&
    !query.from[0]?.allDescendants &&
    !query.findNearest &&
    // An older snapshot (a past read time, a transaction's) sees versions the index no longer holds.
    time >= store.newestTime &&
    offset >= 0 &&
    (limit === undefined || limit >= 0) &&
    // Beyond these the full scan decides (a cursor longer than the orders is refused there).
    cursorFits(query.startAt) &&
    cursorFits(query.endAt)
  );
}

/**
 * The query's results from an ordered index of its collection, or undefined when the query is not one an
 * index serves (several or descendant collections, nearest neighbours, a past snapshot). `orders` is the
 * query's effective order and `admits` its whole matcher.
 */
export function indexScan(
  store: DocumentStore,
  parent: string,
  query: StructuredQuery,
  orders: Order[],
  admits: (document: DocumentVersion) => boolean,
  time: Micros,
): DocumentVersion[] | undefined {
  if (!servable(store, query, orders, time)) return undefined;
  const filters = conjuncts(query.where);
  const equal = equalities(filters);
  const prefix = equal.map(({ value }) => value);
  const index = store.orderedIndex(`${parent}/${query.from?.[0]?.collectionId ?? ""}`, [
    ...equal.map(({ fieldPath }): Order => ({ field: { fieldPath }, direction: "ASCENDING" })),
    ...orders,
  ]);
  const walk = new Stretch(index, prefix);
  if (query.startAt) walk.startAt([...prefix, ...(query.startAt.values ?? [])], !query.startAt.before);
  if (query.endAt) walk.endAt([...prefix, ...(query.endAt.values ?? [])], !query.endAt.before);
  // A range on the first order's field bounds the walk: where its matches start and where they end.
  const first = orders[0] as Order;
  const ascending = first.direction !== "DESCENDING";
  for (const { fieldFilter } of filters) {
    const op = fieldFilter?.op ?? "";
    const value = fieldFilter?.value;
    if (!RANGES.has(op) || !value || fieldFilter?.field?.fieldPath !== first.field?.fieldPath) continue;
    const bound = [...prefix, value];
    const inclusive = op.endsWith("_OR_EQUAL");
    if (op.startsWith("GREATER") === ascending) walk.startAt(bound, !inclusive);
    else walk.endAt(bound, inclusive);
  }
  const offset = query.offset ?? 0;
  const limit = query.limit?.value ?? Infinity;
  const results: DocumentVersion[] = [];
  let skipped = 0;
  for (let position = walk.start; position < walk.end && results.length < limit; position++) {
    const document = index.documentAt(position);
    if (!admits(document)) continue;
    if (skipped < offset) skipped++;
    else results.push(document);
  }
  return results;
}

/** The positions of an index a walk covers: those that share `prefix`, narrowed by each bound. */
class Stretch {
  private readonly index: OrderedIndex;
  start: number;
  end: number;

  constructor(index: OrderedIndex, prefix: Value[]) {
    this.index = index;
    this.start = index.position(prefix, false);
    this.end = index.position(prefix, true);
  }

  /** The walk starts at the first entry after `values` (`after`), or not before them. */
  startAt(values: Value[], after: boolean): void {
    this.start = Math.max(this.start, this.index.position(values, after));
  }

  /** The walk ends before the first entry after `values` (`after`), or not before them. */
  endAt(values: Value[], after: boolean): void {
    this.end = Math.min(this.end, this.index.position(values, after));
  }
}

// A collection's current documents sorted by one order list, so a query page is a binary search and a short walk.
import { fieldValue } from "./filters.ts";
import type { DocumentVersion } from "./store.ts";
import { compareValues } from "./values.ts";
import type { Order, Value } from "./wire.ts";

/** 1 for an ascending order, -1 for a descending one. */
const directionOf = (order: Order): number => (order.direction === "DESCENDING" ? -1 : 1);

/** The values of the orders' fields in a document, or undefined when one is missing (it is then no result). */
export function orderValues(document: DocumentVersion, orders: Order[]): Value[] | undefined {
  // map, not push: an index holds one of these per document, and a pushed-to array keeps spare capacity.
  const values = orders.map((order) => fieldValue(document, order.field?.fieldPath ?? ""));
  return values.includes(undefined) ? undefined : (values as Value[]);
}

/** Compares two lists of order values under the orders' directions, over the shorter list (a cursor is a prefix). */
export function compareOrderValues(a: Value[], b: Value[], orders: Order[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const result = compareValues(a[i] as Value, b[i] as Value) * directionOf(orders[i] as Order);
    if (result !== 0) return result;
  }
  return 0;
}

interface Entry {
  document: DocumentVersion;
  values: Value[];
}

/**
 * The newest version of each document of one collection that has every order field, sorted by the orders.
 * The orders end with __name__, so no two entries compare equal.
 */
export class OrderedIndex {
  readonly collection: string;
  readonly orders: Order[];
  /**
   * Held back to front when the first order is descending: new documents mostly carry the newest time,
   * so adding one is then a push at the end rather than a shift of the whole array.
   */
  private readonly reversed: boolean;
  private readonly entries: Entry[] = [];

  constructor(collection: string, orders: Order[], documents: Iterable<DocumentVersion>) {
    this.collection = collection;
    this.orders = orders;
    this.reversed = orders[0]?.direction === "DESCENDING";
    for (const document of documents) {
      const values = orderValues(document, orders);
      if (values) this.entries.push({ document, values });
    }
    const direction = this.reversed ? -1 : 1;
    this.entries.sort((a, b) => compareOrderValues(a.values, b.values, orders) * direction);
  }

  get size(): number {
    return this.entries.length;
  }

  private at(position: number): Entry | undefined {
    return this.entries[this.reversed ? this.entries.length - 1 - position : position];
  }

  documentAt(position: number): DocumentVersion {
    return (this.at(position) as Entry).document;
  }

  /** The first position whose entry sorts after `prefix` (`after`), or not before it; binary search. */
  position(prefix: Value[], after: boolean): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = compareOrderValues((this.at(middle) as Entry).values, prefix, this.orders);
      if (order > 0 || (order === 0 && !after)) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** Replaces a document's current version: `previous` leaves its place, `next` takes its own. */
  replace(previous: DocumentVersion | undefined, next: DocumentVersion | undefined): void {
    const previousValues = previous && orderValues(previous, this.orders);
    if (previous && previousValues) {
      const position = this.position(previousValues, false);
      if (this.at(position)?.document.name === previous.name)
        this.entries.splice(this.reversed ? this.entries.length - 1 - position : position, 1);
    }
    const values = next && orderValues(next, this.orders);
    if (next && values) {
      const position = this.position(values, true);
      const entry = { document: next, values };
      this.entries.splice(this.reversed ? this.entries.length - position : position, 0, entry);
    }
  }
}

// An index's memory grows with its collection; a console uses a handful of orders (and == fields).
const MAX_INDEXES = 8;

/** The ordered indexes of one store, built on first use and dropped least recently used beyond a cap. */
export class OrderedIndexes {
  private readonly byKey = new Map<string, OrderedIndex>();

  /** The index of `collection` by `orders`, built from `current` (its current documents) if not held. */
  get(collection: string, orders: Order[], current: () => Iterable<DocumentVersion>): OrderedIndex {
    const key = JSON.stringify([
      collection,
      orders.map((order) => [order.field?.fieldPath, directionOf(order)]),
    ]);
    let index = this.byKey.get(key);
    if (index) {
      this.byKey.delete(key); // re-inserted below: a Map iterates in insertion order, oldest use first
    } else {
      index = new OrderedIndex(collection, orders, current());
      if (this.byKey.size >= MAX_INDEXES) this.byKey.delete(this.byKey.keys().next().value as string);
    }
    this.byKey.set(key, index);
    return index;
  }

  /** Keeps every index of the document's collection current as it changes from `previous` to `next`. */
  replace(
    collection: string,
    previous: DocumentVersion | undefined,
    next: DocumentVersion | undefined,
  ): void {
    for (const index of this.byKey.values())
      if (index.collection === collection) index.replace(previous, next);
  }

  clear(): void {
    this.byKey.clear();
  }
}

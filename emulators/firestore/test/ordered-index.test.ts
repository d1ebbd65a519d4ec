import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createCounters } from "../src/counters.ts";
import { Database, defaultTiming } from "../src/database.ts";
import { createFaults } from "../src/faults.ts";
import { fieldValue } from "../src/filters.ts";
import { effectiveOrder, indexedQuery, runStructuredQuery, scanQuery } from "../src/query.ts";
import type { Cursor, Fields, Filter, Order, StructuredQuery, Value } from "../src/wire.ts";

// The ordered index must give exactly the full scan's results; these tests run both on the same store.

const PARENT = "projects/p/databases/(default)/documents";
const COLLECTION = `${PARENT}/c`;
const FIELDS = ["a", "b", "m.x"];
const IDS = ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "__id3__", "__id-1__"];

const reference = (id: string): Value => ({
  valueType: "referenceValue",
  referenceValue: `${COLLECTION}/${id}`,
});

// Few distinct values, of every type, so ties, cross-type order, NaN, -0 and 1 == 1.0 all occur; numbers
// are the likeliest, so a range or an equality often meets a document with exactly its value.
const valueArb: fc.Arbitrary<Value> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .integer({ min: 0, max: 3 })
      .map((n): Value => ({ valueType: "integerValue", integerValue: String(n) })),
  },
  fc.constant<Value>({ valueType: "nullValue", nullValue: "NULL_VALUE" }),
  fc.boolean().map((b): Value => ({ valueType: "booleanValue", booleanValue: b })),
  fc.integer({ min: -2, max: 2 }).map((n): Value => ({ valueType: "integerValue", integerValue: String(n) })),
  fc
    .constantFrom(NaN, -0, 0.5, 1, Infinity, -Infinity)
    .map((n): Value => ({ valueType: "doubleValue", doubleValue: n })),
  fc
    .integer({ min: 0, max: 2 })
    .map((s): Value => ({ valueType: "timestampValue", timestampValue: { seconds: String(s), nanos: 0 } })),
  fc.constantFrom("", "a", "b").map((s): Value => ({ valueType: "stringValue", stringValue: s })),
  fc.constantFrom(...IDS).map(reference),
  fc.array(fc.integer({ min: 0, max: 1 }), { maxLength: 2 }).map((ns): Value => ({
    valueType: "arrayValue",
    arrayValue: { values: ns.map((n) => ({ valueType: "integerValue", integerValue: String(n) })) },
  })),
);

/** A document's fields: any of a, b and m.x, each maybe missing; m may also be a plain value. */
const fieldsArb: fc.Arbitrary<Fields> = fc
  .record({ a: valueArb, b: valueArb, x: valueArb, m: valueArb }, { requiredKeys: [] })
  .map(({ a, b, x, m }) => {
    const fields: Fields = {};
    if (a) fields.a = a;
    if (b) fields.b = b;
    if (x) fields.m = { valueType: "mapValue", mapValue: { fields: { x } } };
    else if (m) fields.m = m;
    return fields;
  });

type Write = { id: string; fields: Fields | undefined; elsewhere: boolean };
const writeArb: fc.Arbitrary<Write> = fc.record({
  id: fc.constantFrom(...IDS),
  fields: fc.option(fieldsArb, { nil: undefined, freq: 5 }), // undefined: a delete
  // A document of another collection, or of a subcollection below c: never a result.
  elsewhere: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)),
});

const fieldArb = fc.constantFrom(...FIELDS);
const orderArb: fc.Arbitrary<Order> = fc.record({
  field: fc.constantFrom(...FIELDS, "__name__").map((fieldPath) => ({ fieldPath })),
  direction: fc.constantFrom("ASCENDING", "DESCENDING", undefined),
});

const fieldFilterArb: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({
    fieldFilter: fc.record({
      field: fieldArb.map((fieldPath) => ({ fieldPath })),
      op: fc.constantFrom(
        "EQUAL",
        "EQUAL",
        "LESS_THAN",
        "LESS_THAN_OR_EQUAL",
        "GREATER_THAN",
        "GREATER_THAN_OR_EQUAL",
        "NOT_EQUAL",
      ),
      value: valueArb,
    }),
  }),
  fc.record({
    unaryFilter: fc.record({
      field: fieldArb.map((fieldPath) => ({ fieldPath })),
      op: fc.constantFrom("IS_NULL", "IS_NOT_NULL", "IS_NAN", "IS_NOT_NAN"),
    }),
  }),
);

const whereArb: fc.Arbitrary<Filter | undefined> = fc.oneof(
  fc.constant(undefined),
  { weight: 2, arbitrary: fieldFilterArb },
  fc
    .tuple(fc.constantFrom("AND", "OR"), fc.array(fieldFilterArb, { minLength: 1, maxLength: 3 }))
    .map(([op, filters]) => ({ compositeFilter: { op, filters } })),
);

/** A cursor as generated: given values, or a current document's own order values (as startAfter(snapshot) sends). */
type CursorSpec =
  { values: Value[]; before: boolean } | { document: number; length: number; before: boolean };

const cursorArb: fc.Arbitrary<CursorSpec | undefined> = fc.option(
  fc.oneof(fc.record({ values: fc.array(valueArb, { maxLength: 3 }), before: fc.boolean() }), {
    weight: 3,
    arbitrary: fc.record({
      document: fc.nat(),
      length: fc.integer({ min: 1, max: 3 }),
      before: fc.boolean(),
    }),
  }),
  { nil: undefined, freq: 2 },
);

interface QuerySpec {
  query: StructuredQuery;
  startAt: CursorSpec | undefined;
  endAt: CursorSpec | undefined;
  required: string[];
}

const queryArb: fc.Arbitrary<QuerySpec> = fc
  .record({
    // No explicit order puts an inequality's field first, where its range bounds the walk.
    orderBy: fc.oneof(
      fc.constant<Order[]>([]),
      fc.uniqueArray(orderArb, { minLength: 1, maxLength: 2, selector: (order) => order.field?.fieldPath }),
    ),
    where: whereArb,
    startAt: cursorArb,
    endAt: cursorArb,
    offset: fc.option(fc.nat({ max: 3 }), { nil: undefined, freq: 2 }),
    limit: fc.option(fc.nat({ max: 5 }), { nil: undefined, freq: 2 }),
    required: fc.constantFrom<string[]>([], ["b"]),
  })
  .map(({ orderBy, where, startAt, endAt, offset, limit, required }) => {
    const query: StructuredQuery = { from: [{ collectionId: "c" }], orderBy, where, offset };
    if (limit !== undefined) query.limit = { value: limit };
    return { query, startAt, endAt, required };
  });

/** The query with its cursors made from the collection's current documents, none longer than the order. */
function concrete(db: Database, spec: QuerySpec): StructuredQuery {
  const orders = effectiveOrder(spec.query);
  const documents = [...db.store.documentsIn(COLLECTION, db.store.newestTime)];
  const cursor = (generated: CursorSpec | undefined): Cursor | undefined => {
    if (!generated) return undefined;
    // A cursor longer than the order is refused: the index leaves that to the scan, so keep cursors servable.
    if ("values" in generated) return { ...generated, values: generated.values.slice(0, orders.length) };
    const document = documents[generated.document % Math.max(1, documents.length)];
    const values: Value[] = [];
    for (const order of orders.slice(0, generated.length)) {
      const value = document && fieldValue(document, order.field?.fieldPath ?? "");
      if (!value) break;
      values.push(value);
    }
    return { values, before: generated.before };
  };
  return { ...spec.query, startAt: cursor(spec.startAt), endAt: cursor(spec.endAt) };
}

function emptyDatabase(): Database {
  return new Database(createCounters(), createFaults(), defaultTiming);
}

/** Installs a write as a commit would, at the next time. */
function apply(db: Database, { id, fields, elsewhere }: Write): void {
  const name = elsewhere ? `${PARENT}/${id.length % 2 ? "other" : `c/${id}/c`}/${id}` : `${COLLECTION}/${id}`;
  const time = db.store.newestTime + 1;
  const createTime = db.store.read(name, time)?.createTime ?? time;
  db.store.install(name, fields && { name, fields, createTime, updateTime: time }, time);
}

const names = (documents: { name: string }[] | undefined) => documents?.map((document) => document.name);

describe("ordered index", () => {
  test("any query on one collection gives the full scan's results, while writes move, add and delete documents", () => {
    fc.assert(
      fc.property(
        fc.array(queryArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.oneof(writeArb, fc.nat({ max: 3 })), { minLength: 10, maxLength: 60 }),
        (queries, steps) => {
          const db = emptyDatabase();
          // Each step is a write or one of a few queries, so an index is built once and then maintained.
          for (const step of [...steps, 0, 1, 2, 3]) {
            if (typeof step !== "number") {
              apply(db, step);
              continue;
            }
            const spec = queries[step % queries.length]!;
            const { required } = spec;
            const query = concrete(db, spec);
            const time = db.store.newestTime;
            const scanned = scanQuery(db, PARENT, query, time, required);
            expect(names(indexedQuery(db, PARENT, query, time, required))).toEqual(names(scanned));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("a read at a past time scans, and sees the documents as they were then", () => {
    const db = emptyDatabase();
    const query: StructuredQuery = {
      from: [{ collectionId: "c" }],
      orderBy: [{ field: { fieldPath: "a" } }],
    };
    const number = (n: number): Value => ({ valueType: "integerValue", integerValue: String(n) });
    apply(db, { id: "d1", fields: { a: number(2) }, elsewhere: false });
    apply(db, { id: "d2", fields: { a: number(1) }, elsewhere: false });
    const then = db.store.newestTime;
    expect(names(runStructuredQuery(db, PARENT, query, then))).toEqual([
      `${COLLECTION}/d2`,
      `${COLLECTION}/d1`,
    ]);
    apply(db, { id: "d2", fields: { a: number(3) }, elsewhere: false });
    apply(db, { id: "d1", fields: undefined, elsewhere: false });
    expect(indexedQuery(db, PARENT, query, then)).toBeUndefined();
    expect(names(runStructuredQuery(db, PARENT, query, then))).toEqual([
      `${COLLECTION}/d2`,
      `${COLLECTION}/d1`,
    ]);
    expect(names(runStructuredQuery(db, PARENT, query, db.store.newestTime))).toEqual([`${COLLECTION}/d2`]);
  });

  test("more orders than the store keeps indexes for: the evicted ones are rebuilt with the writes since", () => {
    const db = emptyDatabase();
    const orders = FIELDS.flatMap((a) =>
      ["__name__", ...FIELDS].flatMap((b) =>
        ["ASCENDING", "DESCENDING"].map((direction): Order[] => [
          { field: { fieldPath: a }, direction },
          { field: { fieldPath: b }, direction: "DESCENDING" },
        ]),
      ),
    );
    const writes = fc.sample(writeArb, { numRuns: 60, seed: 7 });
    for (const [i, write] of writes.entries()) {
      apply(db, write);
      const query: StructuredQuery = { from: [{ collectionId: "c" }], orderBy: orders[i % orders.length] };
      const time = db.store.newestTime;
      expect(names(indexedQuery(db, PARENT, query, time))).toEqual(names(scanQuery(db, PARENT, query, time)));
    }
  });
});

import {
  FieldValue,
  type CollectionReference,
  type Firestore,
  type VectorQuery,
} from "@google-cloud/firestore";
import { describe, expect, test } from "vitest";
import { codeOf, seed, unique, useTarget } from "./harness.ts";

let db: Firestore;
let points: CollectionReference;
const target = useTarget(async ({ firestore }) => {
  db = firestore;
  points = await seed(db, "points", {
    a: { v: FieldValue.vector([1, 0]), n: 1 },
    b: { v: FieldValue.vector([0, 1]), n: 2 },
    c: { v: FieldValue.vector([1, 1]), n: 3 },
    long: { v: FieldValue.vector([1, 0, 0]), n: 4 },
    text: { v: "not a vector", n: 5 },
  });
});

type Measure = "EUCLIDEAN" | "COSINE" | "DOT_PRODUCT";
const nearest = (measure: Measure, options: { distanceThreshold?: number; limit?: number } = {}) =>
  points.findNearest({
    vectorField: "v",
    queryVector: [1, 0],
    limit: options.limit ?? 10,
    distanceMeasure: measure,
    distanceResultField: "distance",
    ...(options.distanceThreshold === undefined ? {} : { distanceThreshold: options.distanceThreshold }),
  });
const results = async (query: VectorQuery) =>
  (await query.get()).docs.map((d) => [d.id, d.get("distance") as number]);

describe("vector search", () => {
  test.each<[Measure, [string, number][]]>([
    [
      "EUCLIDEAN",
      [
        ["a", 0],
        ["c", 1],
        ["b", Math.SQRT2],
      ],
    ],
    [
      "COSINE",
      [
        ["a", 0],
        ["c", 1 - Math.SQRT1_2],
        ["b", 1],
      ],
    ],
    [
      "DOT_PRODUCT",
      [
        ["a", 1],
        ["c", 1],
        ["b", 0],
      ],
    ],
  ])(
    "findNearest with %s orders by distance, skips other dimensions and non-vectors, and writes the distance field",
    async (measure, expected) => {
      const found = await results(nearest(measure));
      expect(found.map(([id]) => id)).toEqual(expected.map(([id]) => id));
      found.forEach(([, distance], i) => expect(distance).toBeCloseTo(expected[i]?.[1] as number, 12));
    },
  );

  test("a distance threshold keeps the near ones: at most it for EUCLIDEAN, at least it for DOT_PRODUCT", async () => {
    expect((await results(nearest("EUCLIDEAN", { distanceThreshold: 1.2 }))).map(([id]) => id)).toEqual([
      "a",
      "c",
    ]);
    expect((await results(nearest("DOT_PRODUCT", { distanceThreshold: 0.5 }))).map(([id]) => id)).toEqual([
      "a",
      "c",
    ]);
  });

  test("the limit takes the nearest, and a filter applies before the search", async () => {
    expect((await results(nearest("EUCLIDEAN", { limit: 1 }))).map(([id]) => id)).toEqual(["a"]);
    const filtered = points.where("n", ">=", 2).findNearest({
      vectorField: "v",
      queryVector: [1, 0],
      limit: 5,
      distanceMeasure: "EUCLIDEAN",
    });
    expect((await filtered.get()).docs.map((d) => d.id)).toEqual(["c", "b"]);
  });

  test("a limit over 1000, a query limit, an offset or a cursor beside findNearest is refused INVALID_ARGUMENT", async () => {
    const options = {
      vectorField: "v",
      queryVector: [1, 0],
      limit: 5,
      distanceMeasure: "EUCLIDEAN" as const,
    };
    const refused = [
      points.findNearest({ ...options, limit: 1001 }),
      points.limit(1).findNearest(options),
      points.orderBy("n").offset(1).findNearest(options),
      points.orderBy("n").startAt(2).findNearest(options),
    ];
    expect(await Promise.all(refused.map((query) => codeOf(query.get())))).toEqual([3, 3, 3, 3]);
  });

  test("an orderBy beside findNearest: the embedded emulator refuses it, Google's ignores it", async () => {
    // Parity row "orderBy with findNearest": an order that cannot apply is refused rather than ignored.
    const query = points.orderBy("n", "desc").findNearest({
      vectorField: "v",
      queryVector: [1, 0],
      limit: 5,
      distanceMeasure: "EUCLIDEAN",
    });
    if (target.kind === "embedded") expect(await codeOf(query.get())).toBe(3);
    else expect((await query.get()).docs.map((d) => d.id)).toEqual(["a", "c", "b"]);
  });

  test("vectors sort after arrays and before maps, shorter vectors first", async () => {
    const collection = db.collection(unique("vectororder"));
    const batch = db.batch();
    batch.set(collection.doc("map"), { w: { x: 1 } });
    batch.set(collection.doc("array"), { w: [5] });
    batch.set(collection.doc("v1"), { w: FieldValue.vector([9]) });
    batch.set(collection.doc("v2"), { w: FieldValue.vector([1, 1]) });
    await batch.commit();
    expect((await collection.orderBy("w").get()).docs.map((d) => d.id)).toEqual(["array", "v1", "v2", "map"]);
    expect((await collection.doc("v2").get()).get("w").toArray()).toEqual([1, 1]);
  });
});

import { invalidArgument } from "@scan-ingest/emulator-shared/status";
import { fieldValue } from "./filters.ts";
import { copyValue, setField } from "./fields.ts";
import { parseFieldPath } from "./paths.ts";
import type { DocumentVersion } from "./store.ts";
import { compareReferences, vectorOf } from "./values.ts";
import type { FindNearest } from "./wire.ts";

const dot = (a: number[], b: number[]): number => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);

/** The distance of two vectors of one dimension under a measure; COSINE of a zero vector is NaN. */
function distance(measure: string, a: number[], b: number[]): number {
  switch (measure) {
    case "EUCLIDEAN":
      return Math.sqrt(a.reduce((sum, x, i) => sum + (x - (b[i] as number)) ** 2, 0));
    case "COSINE":
      return 1 - dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
    case "DOT_PRODUCT":
      return dot(a, b);
    default:
      throw invalidArgument(`findNearest.distance_measure ${measure} is not supported`);
  }
}

const MAX_LIMIT = 1000;

/**
 * A vector search over a query's matching documents: those whose vector field has the query vector's
 * dimension, nearest first (DOT_PRODUCT: largest first; ties by name), within the threshold, at most `limit`,
 * with the distance written into `distance_result_field` when one is named.
 */
export function findNearest(documents: DocumentVersion[], nearest: FindNearest): DocumentVersion[] {
  const measure = nearest.distanceMeasure ?? "DISTANCE_MEASURE_UNSPECIFIED";
  const limit = nearest.limit?.value ?? 0;
  if (!(limit > 0 && limit <= MAX_LIMIT))
    throw invalidArgument(`FindNearest.limit must be a positive integer of no more than ${MAX_LIMIT}`);
  const query = vectorOf(nearest.queryVector);
  if (!query || query.length === 0)
    throw invalidArgument("FindNearest.query_vector must be a non-empty vector");
  const field = nearest.vectorField?.fieldPath ?? "";
  const larger = measure === "DOT_PRODUCT"; // a larger dot product is nearer
  const threshold = nearest.distanceThreshold?.value;
  const scored = documents.flatMap((document) => {
    const vector = vectorOf(fieldValue(document, field));
    if (!vector || vector.length !== query.length) return [];
    const d = distance(measure, vector, query);
    if (threshold !== undefined && !(larger ? d >= threshold : d <= threshold)) return [];
    return [{ document, d }];
  });
  // NaN (a zero vector under COSINE) sorts last, as Google's emulator returns it.
  const key = (d: number): number => (Number.isNaN(d) ? Infinity : larger ? -d : d);
  scored.sort((a, b) => key(a.d) - key(b.d) || compareReferences(a.document.name, b.document.name));
  return scored.slice(0, limit).map(({ document, d }) => {
    if (!nearest.distanceResultField) return document;
    const fields = copyValue(document.fields);
    setField(fields, parseFieldPath(nearest.distanceResultField), { doubleValue: d });
    return { ...document, fields };
  });
}

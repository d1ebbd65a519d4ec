import { invalidArgument } from "@scan-ingest/emulator-shared/status";
import { fieldValue } from "./filters.ts";
import type { DocumentVersion } from "./store.ts";
import { doubleValue, integerValue, isNumber, kindOf, nullValue } from "./values.ts";
import type { Aggregation, Value } from "./wire.ts";

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** The numbers a field holds across documents; documents without a number there are skipped. */
const numbersOf = (documents: DocumentVersion[], fieldPath: string): Value[] =>
  documents
    .map((document) => fieldValue(document, fieldPath))
    .filter((value): value is Value => isNumber(value));

/**
 * The fields a query's sum and avg aggregations name. "Queries with multiple aggregations include only the
 * documents that contain all the fields in each aggregation" (Firestore's aggregation-queries guide): a
 * document takes part only when it has each of them, whatever the value (null and strings included).
 */
export const aggregatedFields = (aggregations: Aggregation[]): string[] => [
  ...new Set(
    aggregations.flatMap((aggregation) => {
      const field = aggregation.sum?.field ?? aggregation.avg?.field;
      return field ? [field.fieldPath ?? ""] : [];
    }),
  ),
];

/** count, sum or avg over a query's results, as Firestore computes them. */
export function aggregate(documents: DocumentVersion[], aggregation: Aggregation): Value {
  if (aggregation.count) {
    const upTo = aggregation.count.upTo?.value;
    const count = upTo === undefined ? documents.length : Math.min(documents.length, Number(upTo));
    return integerValue(BigInt(count));
  }
  if (aggregation.sum) return sum(numbersOf(documents, aggregation.sum.field?.fieldPath ?? ""));
  if (aggregation.avg) {
    const numbers = numbersOf(documents, aggregation.avg.field?.fieldPath ?? "");
    if (numbers.length === 0) return nullValue();
    return doubleValue(numbers.reduce((total, value) => total + asDouble(value), 0) / numbers.length);
  }
  throw invalidArgument(`Aggregation "${aggregation.alias}" names no operator`);
}

const asDouble = (value: Value): number =>
  kindOf(value) === "integerValue" ? Number(value.integerValue) : (value.doubleValue ?? 0);

/** An integer while every term is an integer and the total fits in int64; a double otherwise. */
function sum(numbers: Value[]): Value {
  if (numbers.every((value) => kindOf(value) === "integerValue")) {
    const total = numbers.reduce((acc, value) => acc + BigInt(value.integerValue ?? 0), 0n);
    if (total <= INT64_MAX && total >= INT64_MIN) return integerValue(total);
  }
  return doubleValue(numbers.reduce((total, value) => total + asDouble(value), 0));
}

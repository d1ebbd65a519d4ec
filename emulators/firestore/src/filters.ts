import { invalidArgument } from "@scan-ingest/emulator-shared/status";
import { getField } from "./fields.ts";
import { parseFieldPath } from "./paths.ts";
import type { DocumentVersion } from "./store.ts";
import { compareValues, isNaNValue, kindOf, typeRank, valuesEqual } from "./values.ts";
import type { Filter, Value } from "./wire.ts";

/** The value of a field path in a document; "__name__" is the document's own name. */
export function fieldValue(document: DocumentVersion, fieldPath: string): Value | undefined {
  if (fieldPath === "__name__") return { valueType: "referenceValue", referenceValue: document.name };
  return getField(document.fields, parseFieldPath(fieldPath));
}

const elementsOf = (value: Value | undefined): Value[] =>
  value && kindOf(value) === "arrayValue" ? (value.arrayValue?.values ?? []) : [];

/** Operators that are inequalities: their fields get an implicit order. */
export const INEQUALITIES = new Set([
  "LESS_THAN",
  "LESS_THAN_OR_EQUAL",
  "GREATER_THAN",
  "GREATER_THAN_OR_EQUAL",
  "NOT_EQUAL",
  "NOT_IN",
]);

/** Whether a document matches a filter. A field filter needs the field to exist; comparisons need the same type. */
export function matches(document: DocumentVersion, filter: Filter): boolean {
  if (filter.compositeFilter) {
    const filters = filter.compositeFilter.filters ?? [];
    return filter.compositeFilter.op === "OR"
      ? filters.some((inner) => matches(document, inner))
      : filters.every((inner) => matches(document, inner));
  }
  if (filter.unaryFilter) {
    const value = fieldValue(document, filter.unaryFilter.field?.fieldPath ?? "");
    if (value === undefined) return false;
    switch (filter.unaryFilter.op) {
      case "IS_NAN":
        return isNaNValue(value);
      case "IS_NOT_NAN": // like != NaN: a null is not compared, so it does not match
        return !isNaNValue(value) && kindOf(value) !== "nullValue";
      case "IS_NULL":
        return kindOf(value) === "nullValue";
      case "IS_NOT_NULL":
        return kindOf(value) !== "nullValue";
      default:
        throw invalidArgument(`Unsupported unary filter: ${filter.unaryFilter.op}`);
    }
  }
  if (filter.fieldFilter) {
    const { field, op, value: operand } = filter.fieldFilter;
    const value = fieldValue(document, field?.fieldPath ?? "");
    if (value === undefined || operand === undefined) return false;
    return compare(value, op ?? "", operand);
  }
  return true;
}

/**
 * Whether a field filter's comparison is undefined: null and NaN equal nothing, not even themselves, and
 * order against nothing ("x != null evaluates to undefined"); only IS_NULL and IS_NAN find them.
 */
const incomparable = (value: Value): boolean => kindOf(value) === "nullValue" || isNaNValue(value);

/** Equality under the filters' rules: like the order's, but a null or NaN on either side never matches. */
const filterEqual = (a: Value, b: Value): boolean =>
  !incomparable(a) && !incomparable(b) && valuesEqual(a, b);

function compare(value: Value, op: string, operand: Value): boolean {
  switch (op) {
    case "ARRAY_CONTAINS":
      return elementsOf(value).some((element) => filterEqual(element, operand));
    case "ARRAY_CONTAINS_ANY":
      return elementsOf(value).some((element) =>
        elementsOf(operand).some((wanted) => filterEqual(element, wanted)),
      );
    case "IN":
      return elementsOf(operand).some((wanted) => filterEqual(value, wanted));
    case "NOT_IN": {
      // A null in the list makes every comparison undefined; a null field value is never "not in".
      const unwanted = elementsOf(operand);
      if (kindOf(value) === "nullValue" || unwanted.some((u) => kindOf(u) === "nullValue")) return false;
      return !unwanted.some((u) => filterEqual(value, u));
    }
    case "NOT_EQUAL":
      if (kindOf(value) === "nullValue" || kindOf(operand) === "nullValue") return false;
      return !filterEqual(value, operand);
  }
  if (typeRank(value) !== typeRank(operand) || incomparable(value) || incomparable(operand)) return false;
  const order = compareValues(value, operand);
  switch (op) {
    case "LESS_THAN":
      return order < 0;
    case "LESS_THAN_OR_EQUAL":
      return order <= 0;
    case "GREATER_THAN":
      return order > 0;
    case "GREATER_THAN_OR_EQUAL":
      return order >= 0;
    case "EQUAL":
      return order === 0;
    default:
      throw invalidArgument(`Unsupported field filter: ${op}`);
  }
}

const UNARY_OPERATORS = new Set(["IS_NAN", "IS_NOT_NAN", "IS_NULL", "IS_NOT_NULL"]);
const FIELD_OPERATORS = new Set([...INEQUALITIES, "EQUAL", "IN", "ARRAY_CONTAINS", "ARRAY_CONTAINS_ANY"]);

/** Firestore's limits on a filter's values: IN and ARRAY_CONTAINS_ANY 30, NOT_IN 10. */
const VALUE_LIMITS: Record<string, number> = { IN: 30, ARRAY_CONTAINS_ANY: 30, NOT_IN: 10 };
const MAX_DISJUNCTIONS = 30;

/** The number of disjunctions a filter has in disjunctive normal form (an IN counts one per value). */
function disjunctions(filter: Filter): number {
  if (filter.compositeFilter) {
    const counts = (filter.compositeFilter.filters ?? []).map(disjunctions);
    return filter.compositeFilter.op === "OR"
      ? counts.reduce((total, n) => total + n, 0)
      : counts.reduce((total, n) => total * n, 1);
  }
  const op = filter.fieldFilter?.op ?? "";
  return op === "IN" || op === "ARRAY_CONTAINS_ANY"
    ? Math.max(1, elementsOf(filter.fieldFilter?.value).length)
    : 1;
}

/** INVALID_ARGUMENT for filters Firestore refuses: too many values in a list, or too many disjunctions. */
export function validateFilter(filter: Filter | undefined): void {
  if (!filter) return;
  const check = (inner: Filter): void => {
    for (const nested of inner.compositeFilter?.filters ?? []) check(nested);
    // Refused up front, not at the first document compared, so the answer does not depend on the data.
    if (inner.unaryFilter && !UNARY_OPERATORS.has(inner.unaryFilter.op ?? ""))
      throw invalidArgument(`Unsupported unary filter: ${inner.unaryFilter.op}`);
    const op = inner.fieldFilter?.op ?? "";
    if (inner.fieldFilter && !FIELD_OPERATORS.has(op))
      throw invalidArgument(`Unsupported field filter: ${op}`);
    const limit = VALUE_LIMITS[op];
    if (limit !== undefined && elementsOf(inner.fieldFilter?.value).length > limit)
      throw invalidArgument(`'${op}' supports up to ${limit} comparison values.`);
  };
  check(filter);
  const count = disjunctions(filter);
  if (count > MAX_DISJUNCTIONS) {
    throw invalidArgument(
      `Too many disjunctions after normalization. Result had ${count} disjunctions which is more than the maximum of ${MAX_DISJUNCTIONS}`,
    );
  }
}

/** Field paths constrained by inequalities anywhere in the filter. */
export function inequalityFields(filter: Filter | undefined): string[] {
  if (!filter) return [];
  if (filter.compositeFilter) return (filter.compositeFilter.filters ?? []).flatMap(inequalityFields);
  if (filter.fieldFilter && INEQUALITIES.has(filter.fieldFilter.op ?? ""))
    return [filter.fieldFilter.field?.fieldPath ?? ""];
  // IS_NOT_NULL and IS_NOT_NAN are inequalities too: their field comes first in the order.
  if (filter.unaryFilter?.op?.startsWith("IS_NOT_")) return [filter.unaryFilter.field?.fieldPath ?? ""];
  return [];
}

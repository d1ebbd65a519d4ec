import { getField } from "./fields.ts";
import { parseFieldPath } from "./paths.ts";
import { invalidArgument } from "./status.ts";
import type { StoredDocument } from "./store.ts";
import { compareValues, isNaNValue, kindOf, typeRank, valuesEqual } from "./values.ts";
import type { Filter, Value } from "./wire.ts";

/** The value of a field path in a document; "__name__" is the document's own name. */
export function fieldValue(document: StoredDocument, fieldPath: string): Value | undefined {
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
export function matches(document: StoredDocument, filter: Filter): boolean {
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

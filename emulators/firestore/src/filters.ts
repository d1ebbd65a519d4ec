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
      case "IS_NOT_NAN":
        return !isNaNValue(value);
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

function compare(value: Value, op: string, operand: Value): boolean {
  switch (op) {
    case "ARRAY_CONTAINS":
      return elementsOf(value).some((element) => valuesEqual(element, operand));
    case "ARRAY_CONTAINS_ANY":
      return elementsOf(value).some((element) =>
        elementsOf(operand).some((wanted) => valuesEqual(element, wanted)),
      );
    case "IN":
      return elementsOf(operand).some((wanted) => valuesEqual(value, wanted));
    case "NOT_IN":
      return !elementsOf(operand).some(
        (unwanted) => valuesEqual(value, unwanted) || kindOf(unwanted) === "nullValue",
      );
    case "NOT_EQUAL":
      return !valuesEqual(value, operand);
  }
  if (typeRank(value) !== typeRank(operand)) return false;
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

import { numericId } from "./paths.ts";
import type { Value } from "./wire.ts";

// Firestore's order of value types: null < boolean < number < timestamp < string < bytes
// < reference < geo point < array < map. Integers and doubles share one numeric order.
const typeRanks: Record<string, number> = {
  nullValue: 0,
  booleanValue: 1,
  integerValue: 2,
  doubleValue: 2,
  timestampValue: 3,
  stringValue: 4,
  bytesValue: 5,
  referenceValue: 6,
  geoPointValue: 7,
  arrayValue: 8,
  mapValue: 9,
};

/** Which oneof case a value holds. */
export function kindOf(value: Value): string {
  if (value.valueType) return value.valueType;
  for (const key of Object.keys(value))
    if (key in typeRanks && value[key as keyof Value] !== undefined) return key;
  return "nullValue";
}

/** The numbers of a vector value (a map {__type__: "__vector__", value: [numbers]}), else undefined. */
export function vectorOf(value: Value | undefined): number[] | undefined {
  if (!value || kindOf(value) !== "mapValue") return undefined;
  const fields = value.mapValue?.fields ?? {};
  const type = fields.__type__;
  if (!type || kindOf(type) !== "stringValue" || type.stringValue !== "__vector__") return undefined;
  const elements = fields.value;
  if (!elements || kindOf(elements) !== "arrayValue" || Object.keys(fields).length !== 2) return undefined;
  const numbers = (elements.arrayValue?.values ?? []).map((element) =>
    kindOf(element) === "doubleValue" || kindOf(element) === "integerValue"
      ? Number(element.doubleValue ?? element.integerValue)
      : undefined,
  );
  return numbers.every((n) => n !== undefined) ? (numbers as number[]) : undefined;
}

// A vector sorts after every array and before every map.
const VECTOR_RANK = 8.5;

/** The rank of a value's type in Firestore's cross-type order; equal ranks compare by content. */
export function typeRank(value: Value): number {
  const kind = kindOf(value);
  if (kind === "mapValue" && vectorOf(value)) return VECTOR_RANK;
  return typeRanks[kind] ?? 0;
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Compares strings as Firestore does: by UTF-8 bytes, which is the order of code points. */
export function compareStrings(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Below the surrogates code units and code points agree; a surrogate (a code point above U+FFFF) sorts last.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return sign(a.length - b.length);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return (a[i] ?? 0) < (b[i] ?? 0) ? -1 : 1;
  return sign(a.length - b.length);
}

/** The exact order of an int64 and a double, NaN first. */
function compareIntegerWithDouble(integer: bigint, double: number): number {
  if (Number.isNaN(double)) return 1;
  if (double === Infinity) return -1;
  if (double === -Infinity) return 1;
  const floor = BigInt(Math.floor(double));
  if (integer < floor) return -1;
  if (integer > floor) return 1;
  return Number.isInteger(double) ? 0 : -1;
}

function compareDoubles(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0; // -0 and 0 are equal
}

function compareNumbers(a: Value, b: Value): number {
  const aInteger = kindOf(a) === "integerValue";
  const bInteger = kindOf(b) === "integerValue";
  if (aInteger && bInteger) {
    const x = BigInt(a.integerValue ?? 0);
    const y = BigInt(b.integerValue ?? 0);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (aInteger) return compareIntegerWithDouble(BigInt(a.integerValue ?? 0), b.doubleValue ?? 0);
  if (bInteger) return -compareIntegerWithDouble(BigInt(b.integerValue ?? 0), a.doubleValue ?? 0) || 0;
  return compareDoubles(a.doubleValue ?? 0, b.doubleValue ?? 0);
}

/** Compares ids: numeric ids "__id<int64>__" first, by their number, then the rest as strings. */
function compareIds(a: string, b: string): number {
  const x = numericId(a);
  const y = numericId(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  if (x !== undefined || y !== undefined) return x !== undefined ? -1 : 1;
  return compareStrings(a, b);
}

/** Compares document names segment by segment, so "a/b" sorts before "a/b/c/d" and "a-b". */
export function compareReferences(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  const length = Math.min(x.length, y.length);
  for (let i = 0; i < length; i++) {
    const order = compareIds(x[i] ?? "", y[i] ?? "");
    if (order !== 0) return order;
  }
  return sign(x.length - y.length);
}

/** Firestore's total order of values: -1, 0 or 1. */
export function compareValues(a: Value, b: Value): number {
  const rankOrder = typeRank(a) - typeRank(b);
  if (rankOrder !== 0) return sign(rankOrder);
  switch (kindOf(a)) {
    case "nullValue":
      return 0;
    case "booleanValue":
      return sign(Number(a.booleanValue ?? false) - Number(b.booleanValue ?? false));
    case "integerValue":
    case "doubleValue":
      return compareNumbers(a, b);
    case "timestampValue": {
      const seconds = BigInt(a.timestampValue?.seconds ?? 0) - BigInt(b.timestampValue?.seconds ?? 0);
      if (seconds !== 0n) return seconds < 0n ? -1 : 1;
      return sign((a.timestampValue?.nanos ?? 0) - (b.timestampValue?.nanos ?? 0));
    }
    case "stringValue":
      return compareStrings(a.stringValue ?? "", b.stringValue ?? "");
    case "bytesValue":
      return compareBytes(a.bytesValue ?? new Uint8Array(), b.bytesValue ?? new Uint8Array());
    case "referenceValue":
      return compareReferences(a.referenceValue ?? "", b.referenceValue ?? "");
    case "geoPointValue":
      return (
        compareDoubles(a.geoPointValue?.latitude ?? 0, b.geoPointValue?.latitude ?? 0) ||
        compareDoubles(a.geoPointValue?.longitude ?? 0, b.geoPointValue?.longitude ?? 0)
      );
    case "arrayValue":
      return compareArrays(a.arrayValue?.values ?? [], b.arrayValue?.values ?? []);
    case "mapValue":
      if (typeRank(a) === VECTOR_RANK) {
        // Vectors order by dimension first, then element by element.
        const x = vectorOf(a) ?? [];
        const y = vectorOf(b) ?? [];
        return (
          sign(x.length - y.length) || x.reduce((order, n, i) => order || compareDoubles(n, y[i] ?? 0), 0)
        );
      }
      return compareMaps(a.mapValue?.fields ?? {}, b.mapValue?.fields ?? {});
    default:
      return compareMaps(a.mapValue?.fields ?? {}, b.mapValue?.fields ?? {});
  }
}

function compareArrays(a: Value[], b: Value[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const order = compareValues(a[i] as Value, b[i] as Value);
    if (order !== 0) return order;
  }
  return sign(a.length - b.length);
}

function compareMaps(a: Record<string, Value>, b: Record<string, Value>): number {
  const x = Object.keys(a).sort(compareStrings);
  const y = Object.keys(b).sort(compareStrings);
  const length = Math.min(x.length, y.length);
  for (let i = 0; i < length; i++) {
    const keyOrder = compareStrings(x[i] as string, y[i] as string);
    if (keyOrder !== 0) return keyOrder;
    const order = compareValues(a[x[i] as string] as Value, b[y[i] as string] as Value);
    if (order !== 0) return order;
  }
  return sign(x.length - y.length);
}

/** Query equality: equal in Firestore's order (so 1 equals 1.0, and NaN equals NaN). */
export function valuesEqual(a: Value, b: Value): boolean {
  return compareValues(a, b) === 0;
}

/** Storage identity: same type and content, so a write of 1.0 over 1 is a change. */
export function valuesIdentical(a: Value, b: Value): boolean {
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return false;
  if (kind === "arrayValue") {
    const x = a.arrayValue?.values ?? [];
    const y = b.arrayValue?.values ?? [];
    return x.length === y.length && x.every((value, i) => valuesIdentical(value, y[i] as Value));
  }
  if (kind === "mapValue") return fieldsIdentical(a.mapValue?.fields ?? {}, b.mapValue?.fields ?? {});
  if (kind === "doubleValue") return Object.is(a.doubleValue, b.doubleValue);
  return compareValues(a, b) === 0;
}

/** Whether two field maps hold identical values under identical names. */
export function fieldsIdentical(a: Record<string, Value>, b: Record<string, Value>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => key in b && valuesIdentical(a[key] as Value, b[key] as Value));
}

/** Whether a value is a number (integer or double). */
export const isNumber = (value: Value | undefined): boolean =>
  value !== undefined && typeRank(value) === typeRanks.integerValue;

/** Whether a value is the double NaN. */
export const isNaNValue = (value: Value | undefined): boolean =>
  value !== undefined && kindOf(value) === "doubleValue" && Number.isNaN(value.doubleValue);

export const nullValue = (): Value => ({ valueType: "nullValue", nullValue: "NULL_VALUE" });
export const integerValue = (n: bigint): Value => ({ valueType: "integerValue", integerValue: n.toString() });
export const doubleValue = (n: number): Value => ({ valueType: "doubleValue", doubleValue: n });
export const arrayValue = (values: Value[]): Value => ({ valueType: "arrayValue", arrayValue: { values } });
export const mapValue = (fields: Record<string, Value>): Value => ({
  valueType: "mapValue",
  mapValue: { fields },
});

import { invalidArgument } from "@scan-ingest/emulator-shared/status";
import type { Fields, Value } from "./wire.ts";
import { kindOf, vectorOf } from "./values.ts";

/** Firestore's limit on a document's storage size: 1 MiB. */
export const MAX_DOCUMENT_BYTES = 1_048_576;

/** Firestore's limit on one field value (a string's UTF-8 bytes, or bytes): 1 MiB - 89 bytes. */
export const MAX_FIELD_VALUE_BYTES = 1_048_487;

/** Firestore's limit on a field path (its names joined by dots, in UTF-8): 1,500 bytes. */
export const MAX_FIELD_PATH_BYTES = 1500;

/** The bytes a string or bytes value holds, undefined for the other types. */
function leafBytes(value: Value): number | undefined {
  const kind = kindOf(value);
  if (kind === "stringValue") return Buffer.byteLength(value.stringValue ?? "", "utf8");
  if (kind === "bytesValue") return value.bytesValue?.length ?? 0;
  return undefined;
}

/**
 * Refuses what Firestore refuses in a document's fields, naming the field: a name matching __.*__ (reserved),
 * a field path over 1,500 bytes, an array directly inside an array, and a string or bytes value (an array's
 * elements included) over 1,048,487 bytes. Google's emulator words the last
 * 'The value of property "s" is longer than 1048487 bytes.'
 */
export function checkFields(fields: Fields, parent = ""): void {
  for (const [name, value] of Object.entries(fields)) {
    const path = parent ? `${parent}.${name}` : name;
    if (/^__.*__$/.test(name)) throw invalidArgument(`field name '${name}' is reserved.`);
    if (Buffer.byteLength(path, "utf8") > MAX_FIELD_PATH_BYTES) {
      throw invalidArgument(
        `The field path "${path.slice(0, 64)}…" is longer than ${MAX_FIELD_PATH_BYTES} bytes.`,
      );
    }
    const kind = kindOf(value);
    if (kind === "mapValue" && vectorOf(value)) continue; // a vector's __type__ is the one reserved name allowed
    if (kind === "mapValue") checkFields(value.mapValue?.fields ?? {}, path);
    const leaves = kind === "arrayValue" ? (value.arrayValue?.values ?? []) : [value];
    for (const leaf of leaves) {
      if (kind === "arrayValue" && kindOf(leaf) === "arrayValue")
        throw invalidArgument(`Field "${path}": an array cannot directly contain another array.`);
      if (kind === "arrayValue" && kindOf(leaf) === "mapValue")
        checkFields(leaf.mapValue?.fields ?? {}, path);
      if ((leafBytes(leaf) ?? 0) > MAX_FIELD_VALUE_BYTES) {
        throw invalidArgument(
          `The value of property "${path}" is longer than ${MAX_FIELD_VALUE_BYTES} bytes.`,
        );
      }
    }
  }
}

const stringSize = (text: string): number => Buffer.byteLength(text, "utf8") + 1;

/** Storage size of a document name: each segment of the path below "documents", plus 16. */
export function nameSize(name: string): number {
  const path = name.split("/").slice(5);
  return path.reduce((total, segment) => total + stringSize(segment), 0) + 16;
}

/** Storage size of a value, by Firestore's documented formula. */
export function valueSize(value: Value): number {
  switch (kindOf(value)) {
    case "nullValue":
    case "booleanValue":
      return 1;
    case "integerValue":
    case "doubleValue":
    case "timestampValue":
      return 8;
    case "stringValue":
      return stringSize(value.stringValue ?? "");
    case "bytesValue":
      return value.bytesValue?.length ?? 0;
    case "referenceValue":
      return nameSize(value.referenceValue ?? "");
    case "geoPointValue":
      return 16;
    case "arrayValue":
      return (value.arrayValue?.values ?? []).reduce((total, element) => total + valueSize(element), 0);
    default:
      return fieldsSize(value.mapValue?.fields ?? {});
  }
}

/** Storage size of a map's fields: each name plus its value. */
export function fieldsSize(fields: Fields): number {
  return Object.entries(fields).reduce(
    (total, [key, value]) => total + stringSize(key) + valueSize(value),
    0,
  );
}

/** Storage size of a document: its name, its fields and 32 additional bytes. */
export const documentSize = (name: string, fields: Fields): number =>
  nameSize(name) + fieldsSize(fields) + 32;

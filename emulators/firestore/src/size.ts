import type { Fields, Value } from "./wire.ts";
import { kindOf } from "./values.ts";

/** Firestore's limit on a document's storage size: 1 MiB. */
export const MAX_DOCUMENT_BYTES = 1_048_576;

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

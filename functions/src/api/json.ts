// Stored Firestore values as the API's JSON: timestamps as RFC 3339, bytes as standard base64.
import { Timestamp } from "@google-cloud/firestore";

/** RFC 3339 in UTC with as many fraction digits as the time has (none, 3 or 9). */
export function rfc3339(time: Timestamp): string {
  const whole = new Date(time.seconds * 1000).toISOString().slice(0, 19);
  if (time.nanoseconds === 0) return `${whole}Z`;
  const fraction = String(time.nanoseconds).padStart(9, "0");
  return `${whole}.${time.nanoseconds % 1_000_000 === 0 ? fraction.slice(0, 3) : fraction}Z`;
}

/** A Firestore field value as JSON. */
export function jsonValue(value: unknown): unknown {
  // Most stored fields are strings, numbers and booleans: they pass before any class check.
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Timestamp) return rfc3339(value);
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (Array.isArray(value)) return value.map(jsonValue);
  return jsonFields({}, value as Record<string, unknown>);
}

/** Adds `fields` to `into` by name, each as JSON. */
function jsonFields(into: Record<string, unknown>, fields: Record<string, unknown>): Record<string, unknown> {
  for (const name of Object.keys(fields).sort()) into[name] = jsonValue(fields[name]);
  return into;
}

/** What a listing's items call their id. */
export type IdField = "key" | "id" | "responseSha256";

/** A document as JSON: its id under `idField`, then its fields by name. */
export function jsonDocument(
  idField: IdField,
  id: string,
  data: Record<string, unknown>,
): Record<string, unknown> {
  return jsonFields({ [idField]: id }, data);
}

import type { Fields, Value } from "./wire.ts";
import { kindOf, mapValue } from "./values.ts";

/**
 * A deep copy of decoded values, sharing nothing with them: bytes are copied out of the request's buffer they
 * would otherwise keep alive. What structuredClone made, at a fraction of its cost (it was a twentieth of the
 * emulator's CPU under load).
 */
export function copyValue<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) return new Uint8Array(value) as T;
  if (Array.isArray(value)) return value.map(copyValue) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = copyValue((value as Record<string, unknown>)[key]);
  return copy as T;
}

/** The value at a field path (already split into segments), or undefined when absent. */
export function getField(fields: Fields, path: string[]): Value | undefined {
  let current: Fields | undefined = fields;
  for (let i = 0; i < path.length - 1; i++) {
    const next: Value | undefined = current?.[path[i] as string];
    if (!next || kindOf(next) !== "mapValue") return undefined;
    current = next.mapValue?.fields;
  }
  return current?.[path[path.length - 1] as string];
}

/** Sets a field path in place, turning missing or non-map parents into maps. */
export function setField(fields: Fields, path: string[], value: Value): void {
  let current = fields;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i] as string;
    let next = current[segment];
    if (!next || kindOf(next) !== "mapValue") {
      next = mapValue({});
      current[segment] = next;
    }
    next.mapValue ??= {};
    next.mapValue.fields ??= {};
    current = next.mapValue.fields;
  }
  current[path[path.length - 1] as string] = value;
}

/** Deletes a field path in place; absent paths are left alone. */
export function deleteField(fields: Fields, path: string[]): void {
  let current: Fields | undefined = fields;
  for (let i = 0; i < path.length - 1; i++) {
    const next: Value | undefined = current?.[path[i] as string];
    if (!next || kindOf(next) !== "mapValue") return;
    current = next.mapValue?.fields;
  }
  if (current) delete current[path[path.length - 1] as string];
}

/** A copy holding only the given field paths (a read mask or a query projection). */
export function projectFields(fields: Fields, paths: string[][]): Fields {
  const projected: Fields = {};
  for (const path of paths) {
    const value = getField(fields, path);
    if (value !== undefined) setField(projected, path, copyValue(value));
  }
  return projected;
}

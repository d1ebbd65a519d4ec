// How stored documents are shown: plain JSON values, or tables a person can scan by eye.

import type { IdField } from "@scan-ingest/functions/api/json";
import type { Stored } from "@scan-ingest/functions/api/read";

type TimestampLike = { seconds: number; nanoseconds: number; toDate(): Date };

function isTimestamp(value: unknown): value is TimestampLike {
  return (
    typeof value === "object" &&
    value !== null &&
    "toDate" in value &&
    "seconds" in value &&
    "nanoseconds" in value
  );
}

/** RFC 3339 in UTC, with as many fraction digits as the timestamp needs (none, 3 or 9). */
export function formatInstant(value: TimestampLike): string {
  const iso = new Date(value.seconds * 1000).toISOString().replace(".000Z", "");
  if (value.nanoseconds === 0) return `${iso}Z`;
  const fraction = String(value.nanoseconds).padStart(9, "0");
  return `${iso}.${value.nanoseconds % 1_000_000 === 0 ? fraction.slice(0, 3) : fraction}Z`;
}

/** A Firestore value as JSON: timestamps as RFC 3339 text, bytes as standard base64. */
export function toJsonValue(value: unknown): unknown {
  if (isTimestamp(value)) return formatInstant(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, field]) => [name, toJsonValue(field)]));
  }
  return value;
}

/** The JSON object printed for a document: its id under `idField`, then its fields in a stable order. */
export function toJsonDocument(document: Stored, idField: IdField): Record<string, unknown> {
  const fields = Object.keys(document.data).sort();
  return {
    [idField]: document.id,
    ...Object.fromEntries(fields.map((name) => [name, toJsonValue(document.data[name])])),
  };
}

/** A cell's text on one line: control characters escaped, cut to `width` with an ellipsis. */
export function cell(value: unknown, width = Infinity): string {
  const json = toJsonValue(value);
  const text = typeof json === "string" ? json : json === undefined ? "" : JSON.stringify(json);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach the terminal
  const visible = text.replace(/[\u0000-\u001f\u007f]/g, (character) =>
    JSON.stringify(character).slice(1, -1),
  );
  return visible.length > width ? `${visible.slice(0, Math.max(0, width - 1))}…` : visible;
}

/** Left-aligned columns separated by two spaces, with a header row. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((text, column) => text.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

/** `scans list`: one service per row, the response cut short. */
export function servicesTable(documents: readonly Stored[]): string {
  const headers = ["IP", "PORT", "SERVICE", "SCANNED AT", "V", "RESPONSE"];
  const rows = documents.map(({ data }) => [
    cell(data.ip),
    cell(data.port),
    cell(data.service),
    cell(data.scannedAt),
    cell(data.dataVersion),
    cell(data.response, 48),
  ]);
  return table(headers, rows);
}

/** `scans rejects`: one rejected message per row. */
export function rejectsTable(documents: readonly Stored[]): string {
  const headers = ["MESSAGE ID", "REASON", "REJECTED AT", "DETAIL", "DATA"];
  const rows = documents.map(({ id, data }) => [
    cell(data.messageId ?? id),
    cell(data.reason),
    cell(data.rejectedAt),
    cell(data.detail, 48),
    cell(data.data ?? data.dataBytes, 40),
  ]);
  return table(headers, rows);
}

/** `scans history`: one distinct response per row, newest lastSeen first, the current one marked. */
export function historyTable(documents: readonly Stored[]): string {
  return table(
    ["lastSeen", "firstSeen", "current", "size", "responseSha256", "response"],
    documents.map(({ id, data }) => [
      cell(data.lastSeen),
      cell(data.firstSeen),
      data.current === true ? "*" : "",
      cell(data.responseSize),
      id.slice(0, 12),
      cell(data.response, 60),
    ]),
  );
}

/** `scans get`: every field of one document, one per line, the response in full. */
export function serviceDetail(document: Stored): string {
  const order = [
    "ip",
    "port",
    "service",
    "scannedAt",
    "dataVersion",
    "response",
    "responseBytes",
    "responseSize",
    "responseSha256",
    "responseTruncated",
    "messageId",
    "publishTime",
    "updatedAt",
  ];
  const rest = Object.keys(document.data)
    .filter((name) => !order.includes(name))
    .sort();
  const names = [...order, ...rest].filter((name) => document.data[name] !== undefined);
  return table(
    ["key", document.id],
    names.map((name) => [name, cell(document.data[name])]),
  );
}

// The scan schema: decode one message's data into a Scan or a reason code (CONTRACT.md section 1).
import { z } from "zod";
import { decodeStandardBase64, isValidUtf8 } from "./bytes.ts";
import { canonicalIp } from "./key.ts";

/** Reason codes of CONTRACT.md section 1, in the table's order after the two envelope-level ones. */
export const reasons = [
  "invalid_envelope",
  "invalid_json",
  "invalid_ip",
  "invalid_port",
  "invalid_service",
  "invalid_timestamp",
  "unsupported_data_version",
  "invalid_data",
] as const;
export type Reason = (typeof reasons)[number];

/** One validated, canonical observation; `response` holds the full response bytes. */
export interface Scan {
  ip: string;
  port: number;
  service: string;
  timestamp: number;
  dataVersion: 1 | 2;
  response: Uint8Array;
}

export type Decoded = { ok: true; scan: Scan } | { ok: false; reason: Reason; detail: string };

export interface DecodeLimits {
  nowSeconds: number;
  maxClockSkewSeconds: number;
}

/** A JSON number written with a fraction or exponent (`443.0`, `1e3`): never a JSON integer. */
class NonIntegerNumber {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
  toJSON(): string {
    return this.source;
  }
}

const integerLiteral = /^-?(0|[1-9]\d*)$/;
type Reviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;
const markNonIntegers: Reviver = (_key, value, context) =>
  typeof value === "number" && !integerLiteral.test(context.source ?? "")
    ? new NonIntegerNumber(context.source ?? String(value))
    : value;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const servicePattern = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;

/** The top-level fields, in the contract's order: the first broken one gives the reason. */
function scanSchema(limits: DecodeLimits) {
  const latest = limits.nowSeconds + limits.maxClockSkewSeconds;
  return z.object({
    ip: z.string().refine((ip) => canonicalIp(ip) !== undefined),
    port: z.int().min(0).max(65535),
    service: z.string().regex(servicePattern),
    timestamp: z.int().min(1).max(latest),
    data_version: z.union([z.literal(1), z.literal(2)]),
    data: z.unknown().optional(),
  });
}

type Field = keyof ReturnType<typeof scanSchema>["shape"];

const fieldRules: Record<
  Exclude<Field, "data">,
  { reason: Reason; rule: (limits: DecodeLimits) => string }
> = {
  ip: { reason: "invalid_ip", rule: () => "must be an IPv4 dotted quad or an IPv6 address without zone" },
  port: { reason: "invalid_port", rule: () => "must be a JSON integer from 0 to 65535" },
  service: { reason: "invalid_service", rule: () => `must match ${servicePattern.source}` },
  timestamp: {
    reason: "invalid_timestamp",
    rule: (limits) =>
      `must be a JSON integer of Unix seconds from 1 to ${limits.nowSeconds + limits.maxClockSkewSeconds} (now + skew)`,
  },
  data_version: { reason: "unsupported_data_version", rule: () => "must be 1 or 2" },
};
const fieldOrder = Object.keys(fieldRules) as (keyof typeof fieldRules)[];

const responseSchemas = {
  1: z.object({ response_bytes_utf8: z.string().refine((text) => decodeStandardBase64(text) !== undefined) }),
  2: z.object({ response_str: z.string() }),
};
const responseRules = {
  1: "data.response_bytes_utf8 must be standard padded base64 text",
  2: "data.response_str must be a string",
};

/** The full response bytes of valid v1 or v2 data. */
function responseBytes(data: { response_bytes_utf8: string } | { response_str: string }): Uint8Array {
  if ("response_bytes_utf8" in data) return decodeStandardBase64(data.response_bytes_utf8)!;
  // Lone surrogates become U+FFFD, as Go's encoding/json does when it decodes a string.
  return Buffer.from(data.response_str.toWellFormed(), "utf8");
}

/** A short quote of a JSON value for `detail`. */
function quote(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function parseObject(data: Uint8Array): Record<string, unknown> | string {
  if (!isValidUtf8(data)) return "data is not valid UTF-8";
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(data), markNonIntegers as Parameters<typeof JSON.parse>[1]);
  } catch (error) {
    return `data is not JSON: ${(error as Error).message}`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `data is JSON ${value === null ? "null" : Array.isArray(value) ? "array" : typeof value}, not an object`;
  }
  return value as Record<string, unknown>;
}

/** Decode a message's data into a Scan, or the reason of the first broken field in the contract's order. */
export function decodeScan(data: Uint8Array, limits: DecodeLimits): Decoded {
  const object = parseObject(data);
  if (typeof object === "string") return { ok: false, reason: "invalid_json", detail: object };
  const fields = scanSchema(limits).safeParse(object);
  if (!fields.success) {
    const broken = new Set(fields.error.issues.map((issue) => issue.path[0]));
    const field = fieldOrder.find((name) => broken.has(name))!;
    const { reason, rule } = fieldRules[field];
    return { ok: false, reason, detail: `${field} ${rule(limits)}, got ${quote(object[field])}` };
  }
  const { ip, port, service, timestamp, data_version: dataVersion } = fields.data;
  const response = responseSchemas[dataVersion].safeParse(fields.data.data);
  if (!response.success) {
    return {
      ok: false,
      reason: "invalid_data",
      detail: `${responseRules[dataVersion]}, got ${quote(fields.data.data)}`,
    };
  }
  const scan = { ip: canonicalIp(ip)!, port, service: service.toUpperCase(), timestamp, dataVersion };
  return { ok: true, scan: { ...scan, response: responseBytes(response.data) } };
}

// The scan schema: decode one message's data into a Scan or a reason code (docs/contract.md §1).
import * as z from "zod/mini";
import { decodeStandardBase64 } from "./bytes.ts";
import { parseJsonObject } from "./json.ts";
import { canonicalIp } from "./key.ts";
import type { Reason } from "./reasons.ts";

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
  /** SERVICE_TTL_DAYS: a scan older than this many days is `expired` (§1); absent, none is. */
  serviceTtlDays?: number | undefined;
}

/** The oldest scan time a service keeps under SERVICE_TTL_DAYS (docs/contract.md §3, expiry). */
export function oldestKept(nowSeconds: number, serviceTtlDays: number): number {
  return nowSeconds - serviceTtlDays * 86_400;
}

/** What a service name must look like (docs/contract.md §1); stored upper-cased. */
export const servicePattern = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;

// The schema, in zod/mini (the same checks as zod's full API at a twentieth of the bundle, which every cold
// start loads). One schema per field, in the contract's table order, each run on its own: the first broken
// field gives the reason without parsing the rest, and mini's per-field parse is cheaper than its object
// parse. Built once, at load; the timestamp's upper bound depends on the clock, so it is checked after.
const fields = {
  ip: {
    schema: z.pipe(
      z.string(),
      z.transform((ip: string, context) => {
        const canonical = canonicalIp(ip);
        if (canonical === undefined) context.issues.push({ code: "custom", message: "not an ip", input: ip });
        return canonical ?? ip;
      }),
    ),
    reason: "invalid_ip",
    rule: () => "must be an IPv4 dotted quad or an IPv6 address without zone",
  },
  // z.int() is a safe integer; parseJsonObject hands numbers written with a fraction or exponent as objects.
  port: {
    schema: z.int().check(z.minimum(0), z.maximum(65535)),
    reason: "invalid_port",
    rule: () => "must be a JSON integer from 0 to 65535",
  },
  service: {
    schema: z.string().check(z.regex(servicePattern)),
    reason: "invalid_service",
    rule: () => `must match ${servicePattern.source}`,
  },
  timestamp: {
    schema: z.int().check(z.minimum(1)),
    reason: "invalid_timestamp",
    rule: (limits: DecodeLimits) =>
      `must be a JSON integer of Unix seconds from 1 to ${latest(limits)} (now + skew)`,
  },
  data_version: {
    schema: z.literal([1, 2]),
    reason: "unsupported_data_version",
    rule: () => "must be 1 or 2",
  },
} as const;

const latest = (limits: DecodeLimits) => limits.nowSeconds + limits.maxClockSkewSeconds;

const responseSchemas = {
  1: z.object({
    response_bytes_utf8: z.pipe(
      z.string(),
      z.transform((text: string, context) => {
        const bytes = decodeStandardBase64(text);
        // Stryker disable next-line StringLiteral,ObjectLiteral: any issue fails the parse; responseRules words the detail
        if (bytes === undefined) context.issues.push({ code: "custom", message: "not base64", input: text });
        return bytes ?? new Uint8Array();
      }),
    ),
  }),
  2: z.object({
    // Lone surrogates become U+FFFD, as Go's encoding/json does when it decodes a string.
    response_str: z.pipe(
      z.string(),
      z.transform((text: string): Uint8Array => Buffer.from(text.toWellFormed())),
    ),
  }),
};
const responseRules = {
  1: "data.response_bytes_utf8 must be standard padded base64 text",
  2: "data.response_str must be a string",
};

/** A short quote of a JSON value for `detail`. */
function quote(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? "nothing" : JSON.stringify(value);
  } catch {
    // JSON.stringify recurses: a value nested thousands deep overflows the stack, and must still be rejected.
    text = `a ${Array.isArray(value) ? "array" : "object"} nested too deep to quote`;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Decode a message's data into a Scan, or the reason of the first broken field in the contract's order. */
export function decodeScan(data: Uint8Array, limits: DecodeLimits): Decoded {
  const object = parseJsonObject(data);
  if (typeof object === "string") return { ok: false, reason: "invalid_json", detail: object };
  const broken = (name: keyof typeof fields): Decoded => {
    const { reason, rule } = fields[name];
    return { ok: false, reason, detail: `${name} ${rule(limits)}, got ${quote(object[name])}` };
  };
  // One call per field, in the table's order (separate call sites keep each one fast in V8).
  const ip = fields.ip.schema.safeParse(object.ip);
  if (!ip.success) return broken("ip");
  const port = fields.port.schema.safeParse(object.port);
  if (!port.success) return broken("port");
  const service = fields.service.schema.safeParse(object.service);
  if (!service.success) return broken("service");
  const timestamp = fields.timestamp.schema.safeParse(object.timestamp);
  if (!timestamp.success || timestamp.data > latest(limits)) return broken("timestamp");
  const version = fields.data_version.schema.safeParse(object.data_version);
  if (!version.success) return broken("data_version");
  const dataVersion = version.data;
  const response = responseSchemas[dataVersion].safeParse(object.data);
  if (!response.success) {
    return {
      ok: false,
      reason: "invalid_data",
      detail: `${responseRules[dataVersion]}, got ${quote(object.data)}`,
    };
  }
  const bytes =
    "response_str" in response.data ? response.data.response_str : response.data.response_bytes_utf8;
  // Stryker disable next-line ConditionalExpression: without the setting the oldest would be NaN, and nothing is below NaN
  if (limits.serviceTtlDays !== undefined) {
    const oldest = oldestKept(limits.nowSeconds, limits.serviceTtlDays);
    if (timestamp.data < oldest)
      return {
        ok: false,
        reason: "expired",
        detail:
          `timestamp ${timestamp.data} (${new Date(timestamp.data * 1000).toISOString()}) is older than ` +
          `SERVICE_TTL_DAYS=${limits.serviceTtlDays} keeps (${new Date(oldest * 1000).toISOString()})`,
      };
  }
  const scan = {
    ip: ip.data,
    port: port.data,
    service: service.data.toUpperCase(),
    timestamp: timestamp.data,
    dataVersion,
    response: bytes,
  };
  return { ok: true, scan };
}

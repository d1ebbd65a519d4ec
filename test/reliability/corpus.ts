// The bad-input corpus: every reason code and boundary of docs/contract.md §1, with the reason the contract
// gives each entry (worked out from the contract, not from running the code), and valid look-alikes that
// must be stored. Entries marked `valid` are interleaved with the broken ones.
import type { Reason } from "@scan-ingest/functions/reasons";

export interface CorpusEntry {
  name: string;
  data: Buffer;
  attributes?: Record<string, string>;
  /** The contract's reason, or "valid" with the document key it must be stored under. */
  expected: { reason: Reason } | { valid: string };
  /** Published on its own: close to Pub/Sub's 10 MB limit. */
  large?: boolean;
}

const TIMESTAMP = 1732262400;
/** Pub/Sub's limit is 10 MB per publish request (data and attributes); this leaves room for its own fields. */
export const LARGE_BYTES = 10_000_000 - 1_000;

const text = (value: string) => Buffer.from(value, "utf8");
const json = (value: unknown) => text(JSON.stringify(value));

/** A valid v2 scan on port `port` of 10.9.0.1, with fields replaced or removed (undefined). */
function scan(port: number, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    ip: "10.9.0.1",
    port,
    service: "HTTP",
    timestamp: TIMESTAMP,
    data_version: 2,
    data: { response_str: `corpus ${port}` },
    ...changes,
  };
  for (const [name, value] of Object.entries(fields)) if (value === undefined) delete fields[name];
  return fields;
}

/** The scan's JSON with `raw` spliced in as the source text of field `name` (for numbers JSON.stringify cannot write). */
function withRaw(port: number, name: string, raw: string, changes: Record<string, unknown> = {}): Buffer {
  const marker = "__RAW__";
  return text(JSON.stringify(scan(port, { ...changes, [name]: marker })).replace(`"${marker}"`, raw));
}

/** The scan's JSON with one more member, written as raw source, after the others (so it comes last). */
const appended = (fields: Record<string, unknown>, member: string): Buffer =>
  text(`${JSON.stringify(fields).slice(0, -1)},${member}}`);

const broken = (
  name: string,
  data: Buffer,
  reason: Reason,
  extra: Partial<CorpusEntry> = {},
): CorpusEntry => ({
  name,
  data,
  expected: { reason },
  ...extra,
});
const valid = (name: string, data: Buffer, key: string, extra: Partial<CorpusEntry> = {}): CorpusEntry => ({
  name,
  data,
  expected: { valid: key },
  ...extra,
});

const deep = (depth: number, inner = "") => `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
const DEPTH = 100_000;

/** The corpus; `now` is Unix seconds when it is built, `skew` the function's MAX_CLOCK_SKEW_SECONDS. */
export function corpus(now: number, skew = 3600): CorpusEntry[] {
  // Far enough past now + skew that the test's own duration cannot make it valid by the time it is read.
  const future = now + skew + 300;
  return [
    // invalid_json: not JSON, not UTF-8, or JSON that is not an object.
    broken("empty data (carried by an attribute)", Buffer.alloc(0), "invalid_json", {
      attributes: { kind: "empty" },
    }),
    broken("JSON null", text("null"), "invalid_json"),
    broken("JSON array holding a valid scan", text(`[${JSON.stringify(scan(1))}]`), "invalid_json"),
    broken("JSON number", text("42"), "invalid_json"),
    broken("JSON string", text('"1.1.1.7:443:HTTP"'), "invalid_json"),
    broken("JSON true", text("true"), "invalid_json"),
    broken("truncated object", text(JSON.stringify(scan(1)).slice(0, -1)), "invalid_json"),
    broken("trailing garbage after the object", text(`${JSON.stringify(scan(1))}x`), "invalid_json"),
    broken("NaN is not JSON", withRaw(1, "port", "NaN"), "invalid_json"),
    broken("single-quoted strings", text("{'ip':'1.1.1.7'}"), "invalid_json"),
    broken(
      "a byte-order mark before the object (not JSON text, RFC 8259)",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(scan(1))]),
      "invalid_json",
    ),
    broken(
      "a 0xFF byte inside a string: not UTF-8",
      Buffer.concat([text('{"ip":"1.1.1.7","x":"'), Buffer.from([0xff]), text('"}')]),
      "invalid_json",
    ),
    broken(
      "an overlong UTF-8 encoding of '/'",
      Buffer.concat([text('{"ip":"1.1.1.7","x":"'), Buffer.from([0xc0, 0xaf]), text('"}')]),
      "invalid_json",
    ),
    broken(
      "a UTF-8-encoded lone surrogate (CESU-8)",
      Buffer.concat([text('{"ip":"1.1.1.7","x":"'), Buffer.from([0xed, 0xa0, 0x80]), text('"}')]),
      "invalid_json",
    ),
    broken("UTF-16LE JSON", Buffer.from(JSON.stringify(scan(1)), "utf16le"), "invalid_json"),
    broken(`arrays nested ${DEPTH} deep`, text(deep(DEPTH)), "invalid_json"),
    broken("10 MB of text that is not JSON", Buffer.alloc(LARGE_BYTES, "not json "), "invalid_json", {
      large: true,
    }),

    // invalid_ip
    broken("no ip", json(scan(1, { ip: undefined })), "invalid_ip"),
    broken("ip as a number", json(scan(1, { ip: 168361985 })), "invalid_ip"),
    broken("IPv4 with a leading zero (01)", json(scan(1, { ip: "10.9.0.01" })), "invalid_ip"),
    broken("IPv4 with a leading zero (010)", json(scan(1, { ip: "010.9.0.1" })), "invalid_ip"),
    broken("IPv6 with a zone", json(scan(1, { ip: "fe80::1%eth0" })), "invalid_ip"),
    broken("ip with a leading space", json(scan(1, { ip: " 10.9.0.1" })), "invalid_ip"),
    broken("ip with a trailing newline", json(scan(1, { ip: "10.9.0.1\n" })), "invalid_ip"),
    broken("IPv4 octet 256", json(scan(1, { ip: "10.9.0.256" })), "invalid_ip"),
    broken("three octets", json(scan(1, { ip: "10.9.0" })), "invalid_ip"),
    broken("CIDR suffix", json(scan(1, { ip: "10.9.0.1/32" })), "invalid_ip"),
    broken("IPv6 with two ::", json(scan(1, { ip: "2001::db8::1" })), "invalid_ip"),
    broken("empty ip", json(scan(1, { ip: "" })), "invalid_ip"),
    broken("ip and port both broken: ip comes first", json(scan(-1, { ip: "x" })), "invalid_ip"),
    broken(
      "__proto__ holding the ip is just an unknown field",
      text(JSON.stringify(scan(1, { ip: undefined })).replace("{", '{"__proto__":{"ip":"10.9.0.1"},')),
      "invalid_ip",
    ),

    // invalid_port
    broken("port -1", json(scan(-1)), "invalid_port"),
    broken("port 65536", json(scan(65536)), "invalid_port"),
    broken("port 1.5", withRaw(1, "port", "1.5"), "invalid_port"),
    broken('port "80" (a string)', json(scan(1, { port: "80" })), "invalid_port"),
    broken("port 443.0 (not a JSON integer)", withRaw(1, "port", "443.0"), "invalid_port"),
    broken("port 4.43e2 (an exponent)", withRaw(1, "port", "4.43e2"), "invalid_port"),
    broken("port 1e400 (overflows)", withRaw(1, "port", "1e400"), "invalid_port"),
    broken("port null", json(scan(1, { port: null })), "invalid_port"),
    broken("no port", json(scan(1, { port: undefined })), "invalid_port"),
    broken(`port as arrays nested ${DEPTH} deep`, withRaw(1, "port", deep(DEPTH)), "invalid_port"),
    broken(
      "port and service both broken: port comes first",
      json(scan(70000, { service: "" })),
      "invalid_port",
    ),
    broken("duplicate port keys, the last one broken", appended(scan(21), '"port":70000'), "invalid_port"),
    broken(
      "10 MB object with a broken port",
      json(scan(-5, { padding: "p".repeat(LARGE_BYTES - 200) })),
      "invalid_port",
      { large: true },
    ),

    // invalid_service
    broken("service of 65 characters", json(scan(1, { service: `S${"x".repeat(64)}` })), "invalid_service"),
    broken("service with a space", json(scan(1, { service: "HT TP" })), "invalid_service"),
    broken("service starting with _", json(scan(1, { service: "_http" })), "invalid_service"),
    broken("service __proto__", json(scan(1, { service: "__proto__" })), "invalid_service"),
    broken("service with a trailing newline", json(scan(1, { service: "HTTP\n" })), "invalid_service"),
    broken("service with a non-ASCII letter", json(scan(1, { service: "HTTPé" })), "invalid_service"),
    broken("service with a slash", json(scan(1, { service: "http/2" })), "invalid_service"),
    broken("empty service", json(scan(1, { service: "" })), "invalid_service"),
    broken("service as a number", json(scan(1, { service: 80 })), "invalid_service"),
    broken("no service", json(scan(1, { service: undefined })), "invalid_service"),

    // invalid_timestamp
    broken("timestamp 0", json(scan(1, { timestamp: 0 })), "invalid_timestamp"),
    broken("timestamp -1", json(scan(1, { timestamp: -1 })), "invalid_timestamp"),
    broken("timestamp past now + skew", json(scan(1, { timestamp: future })), "invalid_timestamp"),
    broken("timestamp in milliseconds", json(scan(1, { timestamp: now * 1000 })), "invalid_timestamp"),
    broken("timestamp as a string", json(scan(1, { timestamp: String(TIMESTAMP) })), "invalid_timestamp"),
    broken("timestamp with a fraction", withRaw(1, "timestamp", `${TIMESTAMP}.5`), "invalid_timestamp"),
    broken("timestamp as an exponent", withRaw(1, "timestamp", "1.7e9"), "invalid_timestamp"),
    broken("no timestamp", json(scan(1, { timestamp: undefined })), "invalid_timestamp"),

    // unsupported_data_version
    broken("data_version 3", json(scan(1, { data_version: 3 })), "unsupported_data_version"),
    broken("data_version 0", json(scan(1, { data_version: 0 })), "unsupported_data_version"),
    broken('data_version "2" (a string)', json(scan(1, { data_version: "2" })), "unsupported_data_version"),
    broken(
      "data_version 2.0 (not the integer 2)",
      withRaw(1, "data_version", "2.0"),
      "unsupported_data_version",
    ),
    broken("no data_version", json(scan(1, { data_version: undefined })), "unsupported_data_version"),
    broken(
      "data_version and data both broken: data_version comes first",
      json(scan(1, { data_version: 9, data: 1 })),
      "unsupported_data_version",
    ),

    // invalid_data
    broken("v1 carrying response_str", json(scan(1, { data_version: 1 })), "invalid_data"),
    broken(
      "v2 carrying response_bytes_utf8",
      json(scan(1, { data: { response_bytes_utf8: "aGk=" } })),
      "invalid_data",
    ),
    broken(
      "v1 unpadded base64",
      json(scan(1, { data_version: 1, data: { response_bytes_utf8: "aGVsbG8" } })),
      "invalid_data",
    ),
    broken(
      "v1 URL-safe base64",
      json(scan(1, { data_version: 1, data: { response_bytes_utf8: "-_-_" } })),
      "invalid_data",
    ),
    broken(
      "v1 base64 with a space",
      json(scan(1, { data_version: 1, data: { response_bytes_utf8: "aGVs bG8=" } })),
      "invalid_data",
    ),
    broken(
      "v1 base64 of characters outside the alphabet",
      json(scan(1, { data_version: 1, data: { response_bytes_utf8: "!!!!" } })),
      "invalid_data",
    ),
    broken(
      "v1 response as a number",
      json(scan(1, { data_version: 1, data: { response_bytes_utf8: 5 } })),
      "invalid_data",
    ),
    broken("v2 response as a number", json(scan(1, { data: { response_str: 5 } })), "invalid_data"),
    broken("v2 data null", json(scan(1, { data: null })), "invalid_data"),
    broken("v2 data as a string", json(scan(1, { data: "hello" })), "invalid_data"),
    broken("v2 data as an array", json(scan(1, { data: ["hello"] })), "invalid_data"),
    broken("no data", json(scan(1, { data: undefined })), "invalid_data"),
    broken(
      "data.__proto__ holding the response is just an unknown field",
      text(
        JSON.stringify(scan(1, { data: {} })).replace(
          '"data":{}',
          '"data":{"__proto__":{"response_str":"x"}}',
        ),
      ),
      "invalid_data",
    ),
    broken(
      "10 MB v1 response that is not base64",
      json(
        scan(1, {
          data_version: 1,
          data: { response_bytes_utf8: `${"QUJD".repeat((LARGE_BYTES - 300) / 4)}*` },
        }),
      ),
      "invalid_data",
      { large: true },
    ),

    // Valid look-alikes: stored, each under its own key.
    valid("port 0", json(scan(0)), "10.9.0.1:0:HTTP"),
    valid("port 65535", json(scan(65535)), "10.9.0.1:65535:HTTP"),
    valid("timestamp 1", json(scan(2, { timestamp: 1 })), "10.9.0.1:2:HTTP"),
    valid("timestamp now + skew - 300", json(scan(3, { timestamp: now + skew - 300 })), "10.9.0.1:3:HTTP"),
    valid(
      "service of 64 characters",
      json(scan(4, { service: `S${"x".repeat(63)}` })),
      `10.9.0.1:4:S${"X".repeat(63)}`,
    ),
    valid(
      "service of one character with every allowed sign",
      json(scan(5, { service: "a.b+c-d_e" })),
      "10.9.0.1:5:A.B+C-D_E",
    ),
    valid("service constructor", json(scan(6, { service: "constructor" })), "10.9.0.1:6:CONSTRUCTOR"),
    valid(
      "v1 with an empty response",
      json(scan(7, { data_version: 1, data: { response_bytes_utf8: "" } })),
      "10.9.0.1:7:HTTP",
    ),
    valid("v2 with an empty response", json(scan(8, { data: { response_str: "" } })), "10.9.0.1:8:HTTP"),
    valid(
      "v1 response that is not UTF-8",
      json(scan(9, { data_version: 1, data: { response_bytes_utf8: "/w==" } })),
      "10.9.0.1:9:HTTP",
    ),
    valid("IPv6 in upper case", json(scan(10, { ip: "2001:DB8:0:0:0:0:0:1" })), "[2001:db8::1]:10:HTTP"),
    valid("IPv4-mapped IPv6", json(scan(11, { ip: "::ffff:10.9.0.1" })), "10.9.0.1:11:HTTP"),
    valid(
      "__proto__ as an extra field",
      text(JSON.stringify(scan(12)).replace("{", '{"__proto__":{"polluted":true},')),
      "10.9.0.1:12:HTTP",
    ),
    valid(
      "constructor as an extra field",
      json(scan(13, { constructor: { prototype: { polluted: true } } })),
      "10.9.0.1:13:HTTP",
    ),
    valid(
      "data.constructor as an extra field",
      json(scan(14, { data: { response_str: "x", constructor: 1 } })),
      "10.9.0.1:14:HTTP",
    ),
    // Duplicate keys: RFC 8259 leaves them to the parser; Go's encoding/json (the format's origin) and
    // JSON.parse both keep the last, so the last one decides.
    valid(
      "duplicate port keys, the first one broken",
      appended(scan(70000), '"port":15'),
      "10.9.0.1:15:HTTP",
    ),
    valid(
      "duplicate ip keys, the first one broken",
      appended(scan(16, { ip: "01.1.1.1" }), '"ip":"10.9.0.1"'),
      "10.9.0.1:16:HTTP",
    ),
    valid(
      `unknown field of arrays nested ${DEPTH} deep`,
      appended(scan(17), `"deep":${deep(DEPTH)}`),
      "10.9.0.1:17:HTTP",
    ),
    valid(
      `unknown field nested ${DEPTH} deep around a fraction`,
      appended(scan(18), `"deep":${deep(DEPTH, "1.5")}`),
      "10.9.0.1:18:HTTP",
    ),
    valid(
      "unknown fields inside data",
      json(scan(19, { data: { response_str: "x", extra: { a: [1, 2.5] } } })),
      "10.9.0.1:19:HTTP",
    ),
    valid(
      "10 MB v2 response (stored truncated)",
      json(scan(20, { data: { response_str: "r".repeat(LARGE_BYTES - 300) } })),
      "10.9.0.1:20:HTTP",
      { large: true },
    ),
  ];
}

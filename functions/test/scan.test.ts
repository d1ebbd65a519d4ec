import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Reason } from "../src/reasons.ts";
import { decodeScan } from "../src/scan.ts";

const now = 1_732_262_400;
const limits = { nowSeconds: now, maxClockSkewSeconds: 3600 };
const valid = {
  ip: "1.1.1.7",
  port: 443,
  service: "HTTP",
  timestamp: now,
  data_version: 2,
  data: { response_str: "hello world" },
};
const bytes = (text: string) => Buffer.from(text, "utf8");
/** Arrays nested far deeper than a recursive walk of the value can go. */
const deeplyNested = (inner = "") => `${"[".repeat(100_000)}${inner}${"]".repeat(100_000)}`;
const json = (value: unknown) => bytes(JSON.stringify(value));
const withFields = (fields: Record<string, unknown>) => json({ ...valid, ...fields });
/** The valid scan with one top-level value written as raw JSON text. */
const withRaw = (field: string, raw: string) =>
  bytes(JSON.stringify({ ...valid, [field]: "@@" }).replace('"@@"', raw));

function decodedText(data: Uint8Array) {
  const decoded = decodeScan(data, limits);
  if (!decoded.ok) throw new Error(`${decoded.reason}: ${decoded.detail}`);
  return { ...decoded.scan, response: Buffer.from(decoded.scan.response).toString("latin1") };
}

describe("decodeScan accepts", () => {
  test.each<[string, Uint8Array, Record<string, unknown>]>([
    [
      "the contract's v1 example",
      withFields({ data_version: 1, data: { response_bytes_utf8: "aGVsbG8gd29ybGQ=" } }),
      { response: "hello world", dataVersion: 1 },
    ],
    ["the contract's v2 example", json(valid), { response: "hello world", dataVersion: 2 }],
    [
      "an empty v1 response",
      withFields({ data_version: 1, data: { response_bytes_utf8: "" } }),
      { response: "" },
    ],
    ["an empty v2 response", withFields({ data: { response_str: "" } }), { response: "" }],
    [
      "non-UTF-8 v1 bytes, kept exactly",
      withFields({ data_version: 1, data: { response_bytes_utf8: "/w+A" } }),
      { response: "\xff\x0f\x80" },
    ],
    [
      "a v2 lone surrogate as U+FFFD",
      bytes(JSON.stringify(valid).replace("hello world", "a\\ud800b")),
      { response: "a\xef\xbf\xbdb" },
    ],
    [
      "unknown fields at every level",
      withFields({ extra: [1.5], data: { response_str: "x", more: {} } }),
      { response: "x" },
    ],
    ["port 0 and port 65535", withFields({ port: 65535 }), { port: 65535 }],
    ["port 0", withFields({ port: 0 }), { port: 0 }],
    [
      "a lower-case service, upper-cased",
      withFields({ service: "http-alt.v2+tls_x" }),
      { service: "HTTP-ALT.V2+TLS_X" },
    ],
    ["a 64-character service", withFields({ service: "a".repeat(64) }), { service: "A".repeat(64) }],
    ["an IPv6 address, canonicalised", withFields({ ip: "2001:DB8:0:0::1" }), { ip: "2001:db8::1" }],
    ["an IPv4-mapped address, as IPv4", withFields({ ip: "::ffff:1.1.1.7" }), { ip: "1.1.1.7" }],
    ["timestamp 1", withFields({ timestamp: 1 }), { timestamp: 1 }],
    ["a timestamp at now + skew", withFields({ timestamp: now + 3600 }), { timestamp: now + 3600 }],
    [
      "duplicate keys, the last one winning as in Go",
      bytes('{"port":1,' + JSON.stringify(valid).slice(1)),
      { port: 443 },
    ],
    [
      "an unknown field of arrays nested 100 000 deep around a fraction",
      bytes(`${JSON.stringify(valid).slice(0, -1)},"deep":${deeplyNested("1.5")}}`),
      { port: 443, timestamp: now },
    ],
  ])("%s", (_name, data, expected) => {
    expect(decodedText(data)).toMatchObject(expected);
  });
});

describe("decodeScan refuses", () => {
  test.each<[string, Uint8Array, Reason]>([
    ["bytes that are not UTF-8", Uint8Array.from([0x7b, 0xff, 0x7d]), "invalid_json"],
    ["text that is not JSON", bytes("ip=1.1.1.7"), "invalid_json"],
    ["empty data", bytes(""), "invalid_json"],
    ["a JSON array", json([valid]), "invalid_json"],
    ["a JSON number", bytes("42"), "invalid_json"],
    ["JSON null", bytes("null"), "invalid_json"],
    ["a JSON string", json("{}"), "invalid_json"],
    ["a byte order mark", bytes("\ufeff" + JSON.stringify(valid)), "invalid_json"],
    ["a missing ip", json({ ...valid, ip: undefined }), "invalid_ip"],
    ["an ip with a leading zero", withFields({ ip: "1.1.1.07" }), "invalid_ip"],
    ["an ip with surrounding whitespace", withFields({ ip: "1.1.1.7 " }), "invalid_ip"],
    ["an IPv6 zone", withFields({ ip: "fe80::1%eth0" }), "invalid_ip"],
    ["a numeric ip", withFields({ ip: 16843015 }), "invalid_ip"],
    ["a missing port", json({ ...valid, port: undefined }), "invalid_port"],
    ["port 65536", withFields({ port: 65536 }), "invalid_port"],
    ["a negative port", withFields({ port: -1 }), "invalid_port"],
    ["a port as a string", withFields({ port: "443" }), "invalid_port"],
    ["a port written with a fraction", withRaw("port", "443.0"), "invalid_port"],
    ["a port written with an exponent", withRaw("port", "4.43e2"), "invalid_port"],
    ["a port of arrays nested 100 000 deep", withRaw("port", deeplyNested()), "invalid_port"],
    [
      "a port with a fraction beside arrays nested 100 000 deep",
      bytes(`${withRaw("port", "443.0").toString().slice(0, -1)},"deep":${deeplyNested("2.5")}}`),
      "invalid_port",
    ],
    [
      "a data_version with a fraction beside arrays nested 100 000 deep",
      bytes(`${withRaw("data_version", "2.0").toString().slice(0, -1)},"deep":${deeplyNested("2.5")}}`),
      "unsupported_data_version",
    ],
    ["a missing service", json({ ...valid, service: undefined }), "invalid_service"],
    ["an empty service", withFields({ service: "" }), "invalid_service"],
    ["a service starting with a dash", withFields({ service: "-http" }), "invalid_service"],
    ["a 65-character service", withFields({ service: "a".repeat(65) }), "invalid_service"],
    ["a service with a space", withFields({ service: "HTTP S" }), "invalid_service"],
    ["a missing timestamp", json({ ...valid, timestamp: undefined }), "invalid_timestamp"],
    ["timestamp 0", withFields({ timestamp: 0 }), "invalid_timestamp"],
    ["a timestamp past now + skew", withFields({ timestamp: now + 3601 }), "invalid_timestamp"],
    ["a timestamp in milliseconds", withFields({ timestamp: now * 1000 }), "invalid_timestamp"],
    ["a timestamp written with a fraction", withRaw("timestamp", `${now}.5`), "invalid_timestamp"],
    ["a timestamp as a string", withFields({ timestamp: String(now) }), "invalid_timestamp"],
    ["a timestamp beyond safe integers", withRaw("timestamp", "99999999999999999999"), "invalid_timestamp"],
    ["a missing data_version", json({ ...valid, data_version: undefined }), "unsupported_data_version"],
    ["data_version 3", withFields({ data_version: 3 }), "unsupported_data_version"],
    ["data_version as a string", withFields({ data_version: "1" }), "unsupported_data_version"],
    ["data_version written with a fraction", withRaw("data_version", "1.0"), "unsupported_data_version"],
    ["missing data", json({ ...valid, data: undefined }), "invalid_data"],
    ["data that is a string", withFields({ data: "hello" }), "invalid_data"],
    ["v2 data without response_str", withFields({ data: { response_bytes_utf8: "aGk=" } }), "invalid_data"],
    ["v2 response_str that is not a string", withFields({ data: { response_str: 5 } }), "invalid_data"],
    ["v1 data without response_bytes_utf8", withFields({ data_version: 1 }), "invalid_data"],
    [
      "v1 null response_bytes_utf8",
      withFields({ data_version: 1, data: { response_bytes_utf8: null } }),
      "invalid_data",
    ],
    [
      "v1 unpadded base64",
      withFields({ data_version: 1, data: { response_bytes_utf8: "aGk" } }),
      "invalid_data",
    ],
    [
      "v1 URL-safe base64",
      withFields({ data_version: 1, data: { response_bytes_utf8: "-_8=" } }),
      "invalid_data",
    ],
    [
      "v1 base64 with whitespace",
      withFields({ data_version: 1, data: { response_bytes_utf8: "aGVs bG8=" } }),
      "invalid_data",
    ],
    [
      "v1 base64 with a line break",
      withFields({ data_version: 1, data: { response_bytes_utf8: "aGk=\n" } }),
      "invalid_data",
    ],
  ])("%s", (_name, data, reason) => {
    const decoded = decodeScan(data, limits);
    expect(decoded).toMatchObject({ ok: false, reason });
  });

  test.each<[string, Record<string, unknown>, Reason]>([
    [
      "ip before port",
      { ip: "x", port: -1, service: "", timestamp: 0, data_version: 9, data: 1 },
      "invalid_ip",
    ],
    [
      "port before service",
      { port: -1, service: "", timestamp: 0, data_version: 9, data: 1 },
      "invalid_port",
    ],
    ["service before timestamp", { service: "", timestamp: 0, data_version: 9, data: 1 }, "invalid_service"],
    ["timestamp before data_version", { timestamp: 0, data_version: 9, data: 1 }, "invalid_timestamp"],
    ["data_version before data", { data_version: 9, data: 1 }, "unsupported_data_version"],
  ])("with several broken fields, reports %s", (_name, broken, reason) => {
    expect(decodeScan(withFields(broken), limits)).toMatchObject({ ok: false, reason });
  });

  test("names the field and the value in the detail", () => {
    expect(decodeScan(withFields({ port: 70000 }), limits)).toMatchObject({
      detail: "port must be a JSON integer from 0 to 65535, got 70000",
    });
    expect(decodeScan(withRaw("port", "443.0"), limits)).toMatchObject({
      detail: expect.stringContaining("443.0"),
    });
  });
});

describe("decodeScan's detail says what was wrong", () => {
  test.each<[string, Uint8Array, string]>([
    ["bytes that are not UTF-8", Uint8Array.from([0x7b, 0xff, 0x7d]), "data is not valid UTF-8"],
    ["JSON null", bytes("null"), "data is JSON null, not an object"],
    ["a JSON array", bytes("[1]"), "data is JSON array, not an object"],
    ["a JSON number", bytes("42"), "data is JSON number, not an object"],
    ["a JSON string", bytes('"x"'), "data is JSON string, not an object"],
    [
      "a missing port",
      json({ ...valid, port: undefined }),
      "port must be a JSON integer from 0 to 65535, got nothing",
    ],
    [
      "a timestamp past now + skew",
      withFields({ timestamp: now + 3601 }),
      `timestamp must be a JSON integer of Unix seconds from 1 to ${now + 3600} (now + skew), got ${now + 3601}`,
    ],
    [
      "v1 data that is not base64",
      withFields({ data_version: 1, data: { response_bytes_utf8: "aGk" } }),
      'data.response_bytes_utf8 must be standard padded base64 text, got {"response_bytes_utf8":"aGk"}',
    ],
    [
      "v2 data without a string",
      withFields({ data: { response_str: 5 } }),
      'data.response_str must be a string, got {"response_str":5}',
    ],
    [
      "a service of 78 characters, quoted whole in 80",
      withFields({ service: `-${"a".repeat(77)}` }),
      `service must match ^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$, got "-${"a".repeat(77)}"`,
    ],
    [
      "a service of 79 characters, cut to 77 and an ellipsis",
      withFields({ service: `-${"a".repeat(78)}` }),
      `service must match ^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$, got "-${"a".repeat(75)}...`,
    ],
    [
      "a port of arrays nested 100 000 deep",
      withRaw("port", deeplyNested()),
      "port must be a JSON integer from 0 to 65535, got a array nested too deep to quote",
    ],
    [
      "a port of objects nested 100 000 deep",
      withRaw("port", `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`),
      "port must be a JSON integer from 0 to 65535, got a object nested too deep to quote",
    ],
  ])("for %s", (_name, data, detail) => {
    expect(decodeScan(data, limits)).toMatchObject({ ok: false, detail });
  });

  test("for text that is not JSON, with the parser's own words, fractions or not", () => {
    for (const text of ['{"port":1.5', '{"port":1'])
      expect(decodeScan(bytes(text), limits)).toMatchObject({
        reason: "invalid_json",
        detail: expect.stringMatching(/^data is not JSON: \S/),
      });
  });
});

describe("decodeScan reads every number as written", () => {
  test.each([
    [
      "",
      '{"ip":"::","port":1.0,"service":"HTTP","timestamp":1e0,"data_version":2.0,"data":{"response_str":""}}',
    ],
    [
      " with spaces",
      '{"ip": "::", "port": 1.0, "service": "HTTP", "timestamp": 1e0, "data_version": 2.0, "data": {}}',
    ],
  ])("refuses a port written 1.0 when every other number has a fraction or exponent too%s", (_name, text) => {
    expect(decodeScan(bytes(text), limits)).toMatchObject({ ok: false, reason: "invalid_port" });
  });

  test("refuses ill-formed UTF-8 inside a string", () => {
    const text = Buffer.concat([
      bytes(JSON.stringify(valid).slice(0, -3)),
      Uint8Array.from([0xff]),
      bytes('"}}'),
    ]);
    expect(decodeScan(text, limits)).toMatchObject({ ok: false, reason: "invalid_json" });
  });

  // Beside JSON too deep for the reviver, the top-level numbers are read from the text by a walk of its own.
  const deep = (members: string) => bytes(`{${members}}`);
  const fields = (port: string) =>
    `"ip":"1.1.1.7","service":"HTTP","timestamp":${now},"data_version":2,"data":{"response_str":"x"},"port":${port}`;
  test.each<[string, Uint8Array, string]>([
    [
      "deep arrays before a port written 443.0",
      deep(`"deep":${deeplyNested("1")},${fields("443.0")}`),
      "invalid_port",
    ],
    [
      "deep objects before a port written 443.0",
      deep(`"deep":${'{"a":'.repeat(100_000)}1.5${"}".repeat(100_000)},${fields("443.0")}`),
      "invalid_port",
    ],
    [
      "a port written 443.0 as the last member",
      deep(`"deep":${deeplyNested("2.5")},${fields("443.0")}`),
      "invalid_port",
    ],
    ["a spaced integer port", deep(`"deep":${deeplyNested("2.5")},${fields(" 443 ")}`), "ok"],
    [
      "strings holding quotes, braces and commas",
      deep(`"q\\"}]],":"\\"{[,:","deep":${deeplyNested("2.5")},${fields("443.0")}`),
      "invalid_port",
    ],
    [
      "a string value naming a numeric field",
      deep(`"note":"port","deep":${deeplyNested("2.5")},${fields("443")}`),
      "ok",
    ],
    [
      "a nested member named port",
      deep(`"x":{"port":1.5},"deep":${deeplyNested("2.5")},${fields("443")}`),
      "ok",
    ],
    [
      "a nested member named port after a nested value",
      deep(`"x":{"a":{},"port":1.5},"deep":${deeplyNested("2.5")},${fields("443")}`),
      "ok",
    ],
  ])("%s", (_name, data, expected) => {
    const decoded = decodeScan(data, limits);
    expect(decoded.ok ? "ok" : decoded.reason).toBe(expected);
  });
});

describe("decodeScan properties", () => {
  test("never throws on arbitrary bytes: always a scan or a reason", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        const decoded = decodeScan(data, limits);
        expect(decoded.ok || decoded.reason === "invalid_json").toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test("never throws on objects mixing valid and arbitrary fields", () => {
    const orMaybe = <T>(good: fc.Arbitrary<T>) => fc.oneof(good, fc.jsonValue(), fc.constant(undefined));
    const shaped = fc.record({
      ip: orMaybe(fc.constant("1.1.1.7")),
      port: orMaybe(fc.constant(443)),
      service: orMaybe(fc.constant("HTTP")),
      timestamp: orMaybe(fc.constant(now)),
      data_version: orMaybe(fc.constant(2)),
      data: orMaybe(fc.constant({ response_str: "x" })),
    });
    fc.assert(
      fc.property(shaped, (object) => {
        const decoded = decodeScan(json(object), limits);
        expect(decoded.ok || decoded.reason !== "invalid_json").toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  test("names the first broken field in the contract's order, or accepts when none is broken", () => {
    // Each field valid (weight 3) or one of values the contract's table refuses (weight 1), or missing.
    const field = <T>(good: T, broken: unknown[]) =>
      fc.oneof(
        { arbitrary: fc.constant({ value: good as unknown, broken: false }), weight: 3 },
        {
          arbitrary: fc.constantFrom(...broken, undefined).map((value) => ({ value, broken: true })),
          weight: 1,
        },
      );
    const table: [string, Reason, fc.Arbitrary<{ value: unknown; broken: boolean }>][] = [
      ["ip", "invalid_ip", field("1.1.1.7", ["1.1.1.07", "fe80::1%eth0", 16843015, ""])],
      ["port", "invalid_port", field(443, [65536, -1, "443", 1.5])],
      ["service", "invalid_service", field("HTTP", ["", "-http", "a".repeat(65), 80])],
      ["timestamp", "invalid_timestamp", field(now, [0, now + 3601, String(now), now * 1000])],
      ["data_version", "unsupported_data_version", field(2, [0, 3, "2", null])],
      [
        "data",
        "invalid_data",
        field({ response_str: "x" }, ["x", { response_bytes_utf8: "eA==" }, null, []]),
      ],
    ];
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.tuple(...table.map(([, , arbitrary]) => arbitrary)), (values) => {
        const object = Object.fromEntries(table.map(([name], index) => [name, values[index]!.value]));
        const first = table.findIndex((_, index) => values[index]!.broken);
        const decoded = decodeScan(json(object), limits);
        const expected = first === -1 ? "ok" : table[first]![1];
        seen.add(expected);
        expect(decoded.ok ? "ok" : decoded.reason).toBe(expected);
        // The detail starts with the field's name (`data.response_str` for data's member).
        if (!decoded.ok) expect(decoded.detail).toMatch(new RegExp(`^${table[first]![0]}[ .]`));
      }),
      { numRuns: 1000 },
    );
    // The generator reached every answer the property names.
    expect([...seen].sort()).toEqual(["ok", ...table.map(([, reason]) => reason)].sort());
  });
});

describe("decodeScan with SERVICE_TTL_DAYS", () => {
  const keeping = { ...limits, serviceTtlDays: 2 };
  const oldest = now - 2 * 86_400;

  test("refuses a scan older than the window as expired, naming the window", () => {
    expect(decodeScan(withFields({ timestamp: oldest - 1 }), keeping)).toEqual({
      ok: false,
      reason: "expired",
      detail:
        `timestamp ${oldest - 1} (${new Date((oldest - 1) * 1000).toISOString()}) is older than ` +
        `SERVICE_TTL_DAYS=2 keeps (${new Date(oldest * 1000).toISOString()})`,
    });
  });

  test("keeps a scan at the window's edge, and any scan without the setting", () => {
    expect(decodeScan(withFields({ timestamp: oldest }), keeping).ok).toBe(true);
    expect(decodeScan(withFields({ timestamp: 1 }), limits).ok).toBe(true);
  });

  test("gives a broken field's reason before expiry", () => {
    expect(decodeScan(withFields({ timestamp: oldest - 1, data_version: 3 }), keeping)).toMatchObject({
      reason: "unsupported_data_version",
    });
  });
});

import fc from "fast-check";
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { rejectDocumentId, toRejectDocument, toServiceDocument } from "../src/documents.ts";
import { decodeScan, type Scan } from "../src/scan.ts";

const message = { messageId: "42", publishTime: { seconds: 1_732_262_401, nanoseconds: 5 } };
const scan = (response: Uint8Array, dataVersion: 1 | 2 = 1): Scan => ({
  ip: "1.1.1.7",
  port: 443,
  service: "HTTP",
  timestamp: 1_732_262_400,
  dataVersion,
  response,
});
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const utf8 = (text: string) => Buffer.from(text, "utf8");

describe("toServiceDocument", () => {
  test("writes every contract field of a UTF-8 response", () => {
    expect(toServiceDocument(scan(utf8("hello world")), message, 262144)).toEqual({
      ip: "1.1.1.7",
      port: 443,
      service: "HTTP",
      response: "hello world",
      responseSize: 11,
      responseSha256: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
      responseTruncated: false,
      scannedAt: { seconds: 1_732_262_400, nanoseconds: 0 },
      dataVersion: 1,
      messageId: "42",
      publishTime: message.publishTime,
    });
  });

  test("keeps non-UTF-8 bytes exactly and a lossy text", () => {
    const bytes = Uint8Array.from([0x68, 0xff, 0x69]);
    const document = toServiceDocument(scan(bytes), message, 262144);
    expect(document).toMatchObject({ response: "h\ufffdi", responseSize: 3, responseSha256: sha256(bytes) });
    expect(document.responseBytes).toEqual(bytes);
  });

  test.each([
    [
      "cuts a long response at a character boundary",
      utf8("ab€"),
      4,
      { response: "ab", responseTruncated: true },
    ],
    ["keeps a response exactly at the limit", utf8("ab€"), 5, { response: "ab€", responseTruncated: false }],
    ["cuts ASCII at the limit", utf8("abcdef"), 3, { response: "abc", responseTruncated: true }],
  ])("%s", (_name, bytes, limit, expected) => {
    const document = toServiceDocument(scan(bytes), message, limit);
    expect(document).toMatchObject({
      ...expected,
      responseSize: bytes.length,
      responseSha256: sha256(bytes),
    });
    expect(document.responseBytes).toBeUndefined();
  });

  test("cuts non-UTF-8 bytes and their lossy text each to the limit, at character boundaries", () => {
    const bytes = Uint8Array.from([0xff, 0x61, 0xc3, 0xa9, 0x62]);
    // The bytes keep [ff 61]; their text "\ufffda" is 4 bytes of UTF-8, so it keeps only U+FFFD.
    const document = toServiceDocument(scan(bytes), message, 3);
    expect(document).toMatchObject({ response: "\ufffd", responseTruncated: true, responseSize: 5 });
    expect(document.responseBytes).toEqual(bytes.subarray(0, 2));
  });

  test("a response of invalid bytes never makes a text longer than the limit", () => {
    const bytes = new Uint8Array(300_000).fill(0xff);
    const document = toServiceDocument(scan(bytes), message, 262_144);
    expect(Buffer.byteLength(document.response)).toBe(262_143); // 87,381 × U+FFFD
    expect(document.responseBytes).toHaveLength(262_144);
    expect(document.responseTruncated).toBe(true);
  });

  test("omits publishTime when the delivery has none", () => {
    expect(
      toServiceDocument(scan(utf8("")), { messageId: "1", publishTime: undefined }, 10),
    ).not.toHaveProperty("publishTime");
  });

  test("maps any valid scan to the expected document", () => {
    const ip = fc.oneof(fc.ipV4(), fc.ipV6());
    const alphanumeric = [..."ABCXYZabcxyz0189"];
    const service = fc
      .tuple(
        fc.constantFrom(...alphanumeric),
        fc.string({ unit: fc.constantFrom(...alphanumeric, ..."_.+-"), maxLength: 63 }),
      )
      .map(([first, rest]) => first + rest);
    const response = fc.oneof(
      fc.string({ unit: "binary" }).map((text) => ({ data_version: 2, text, bytes: utf8(text) })),
      fc.uint8Array().map((bytes) => ({
        data_version: 1,
        text: Buffer.from(bytes).toString("base64"),
        bytes: Buffer.from(bytes),
      })),
    );
    const now = 2_000_000_000;
    fc.assert(
      fc.property(
        ip,
        fc.integer({ min: 0, max: 65535 }),
        service,
        fc.integer({ min: 1, max: now }),
        response,
        (ipText, port, serviceText, timestamp, body) => {
          const data =
            body.data_version === 1 ? { response_bytes_utf8: body.text } : { response_str: body.text };
          const raw = utf8(
            JSON.stringify({
              ip: ipText,
              port,
              service: serviceText,
              timestamp,
              data_version: body.data_version,
              data,
            }),
          );
          const decoded = decodeScan(raw, { nowSeconds: now, maxClockSkewSeconds: 0 });
          expect(decoded.ok).toBe(true);
          if (!decoded.ok) return;
          const document = toServiceDocument(decoded.scan, message, 262144);
          expect(document).toMatchObject({
            port,
            service: serviceText.toUpperCase(),
            responseSize: body.bytes.length,
            responseSha256: sha256(body.bytes),
            responseTruncated: false,
            scannedAt: { seconds: timestamp, nanoseconds: 0 },
            dataVersion: body.data_version,
            messageId: "42",
          });
          expect(Buffer.from(document.responseBytes ?? utf8(document.response))).toEqual(
            body.data_version === 2 ? utf8(body.text.toWellFormed()) : Buffer.from(body.bytes),
          );
        },
      ),
    );
  });
});

describe("toRejectDocument", () => {
  const rejected = {
    reason: "invalid_port" as const,
    detail: "port",
    messageId: "7",
    publishTime: undefined,
  };

  test("keeps UTF-8 data as text with its size and digest", () => {
    const data = utf8('{"port":-1}');
    expect(toRejectDocument(rejected, data, { origin: "test" }, 100)).toEqual({
      reason: "invalid_port",
      detail: "port",
      data: '{"port":-1}',
      dataSize: 11,
      dataSha256: sha256(data),
      attributes: { origin: "test" },
      messageId: "7",
    });
  });

  test("keeps non-UTF-8 data as bytes", () => {
    const data = Uint8Array.from([0xff, 0xfe]);
    const document = toRejectDocument(rejected, data, {}, 100);
    expect(document.dataBytes).toEqual(data);
    expect(document).not.toHaveProperty("data");
  });

  test("keeps the message's publish time, and has none without one", () => {
    const publishTime = { seconds: 1_732_262_400, nanoseconds: 5 };
    expect(toRejectDocument({ ...rejected, publishTime }, utf8("x"), {}, 100).publishTime).toEqual(
      publishTime,
    );
    expect(toRejectDocument(rejected, utf8("x"), {}, 100)).not.toHaveProperty("publishTime");
  });

  test("truncates data past the limit at a character boundary and says so", () => {
    const document = toRejectDocument(rejected, utf8("aé"), {}, 2);
    expect(document).toMatchObject({ data: "a", dataTruncated: true, dataSize: 3 });
  });
});

describe("rejectDocumentId", () => {
  test.each([
    ["keeps a Pub/Sub message id", "1234567890", "1234567890"],
    ["hashes an id with a slash", "a/b", `sha256-${sha256(utf8("a/b"))}`],
    ["hashes a reserved id", "__x__", `sha256-${sha256(utf8("__x__"))}`],
    ["hashes a dot", ".", `sha256-${sha256(utf8("."))}`],
    ["hashes two dots", "..", `sha256-${sha256(utf8(".."))}`],
    ["keeps three dots", "...", "..."],
    ["hashes the empty id", "", `sha256-${sha256(utf8(""))}`],
    ["hashes a longer reserved id", "__name__", `sha256-${sha256(utf8("__name__"))}`],
    ["keeps an id with underscores at one end only", "__x", "__x"],
    ["keeps an id with a reserved-looking part after its start", "a__x__", "a__x__"],
    ["keeps an id with a reserved-looking part before its end", "__x__a", "__x__a"],
    ["keeps an id of 1,500 bytes", "é".repeat(750), "é".repeat(750)],
    [
      "hashes an id of 1,502 bytes in 751 characters",
      "é".repeat(751),
      `sha256-${sha256(utf8("é".repeat(751)))}`,
    ],
  ])("%s", (_name, id, expected) => {
    expect(rejectDocumentId(id)).toBe(expected);
  });
});

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { cutAtCharacterBoundary, decodeLossy, decodeStandardBase64 } from "../src/bytes.ts";

describe("decodeStandardBase64", () => {
  test.each([
    ["decodes padded text", "aGVsbG8gd29ybGQ=", "hello world"],
    ["decodes two padding characters", "aGk=", "hi"],
    ["decodes text without padding need", "aGV5", "hey"],
    ["decodes the empty string", "", ""],
    ["decodes + and /", "+/8=", "\u00fb\u00ff"],
  ])("%s", (_name, text, expected) => {
    expect(decodeStandardBase64(text)?.toString("latin1")).toBe(expected);
  });

  test.each([
    ["unpadded text", "aGk"],
    ["the URL-safe alphabet", "-_8="],
    ["an inner space", "aGVs bG8="],
    ["a trailing newline", "aGk=\n"],
    ["a CRLF line break", "aGVs\r\nbG8="],
    ["three padding characters", "a==="],
    ["padding in the middle", "aG==aGk="],
    ["a non-alphabet character", "aGk*"],
  ])("refuses %s", (_name, text) => {
    expect(decodeStandardBase64(text)).toBeUndefined();
  });

  test("refuses the same malformed text when it is long (past 64 characters, a pattern checks it)", () => {
    const long = "QUJD".repeat(20);
    expect(decodeStandardBase64(long)?.toString()).toBe("ABC".repeat(20));
    for (const bad of [
      `${long}aGk`,
      `${long}-_8=`,
      `${long} aGk=`,
      `${long}aGk=\n`,
      `${long}a===`,
      `aG==${long}`,
    ])
      expect(decodeStandardBase64(bad), JSON.stringify(bad.slice(-8))).toBeUndefined();
  });

  test("short and long text alike is read exactly as the RFC 4648 grammar says", () => {
    const grammar = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
    const quads = fc.array(fc.constantFrom(..."QUJDaGk+/8==AB=A===-_ \n*".split("")), { maxLength: 4 });
    fc.assert(
      fc.property(fc.array(quads, { maxLength: 40 }), (parts) => {
        const text = parts.map((part) => part.join("")).join("");
        const expected = grammar.test(text) ? Buffer.from(text, "base64") : undefined;
        expect(decodeStandardBase64(text)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  test("round-trips every byte string Go or Node would encode", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(decodeStandardBase64(Buffer.from(bytes).toString("base64"))).toEqual(Buffer.from(bytes));
      }),
    );
  });
});

describe("cutAtCharacterBoundary", () => {
  const utf8 = (text: string) => Buffer.from(text, "utf8");
  test.each([
    ["keeps bytes within the limit", utf8("hello"), 5, "hello"],
    ["cuts ASCII at the limit", utf8("hello"), 3, "hel"],
    ["does not split a two-byte character", utf8("aé"), 2, "a"],
    ["does not split a three-byte character", utf8("a€"), 3, "a"],
    ["does not split a four-byte character", utf8("a😀"), 4, "a"],
    ["keeps a character that ends at the limit", utf8("a€b"), 4, "a€"],
    ["can cut to nothing", utf8("€"), 2, ""],
  ])("%s", (_name, bytes, limit, expected) => {
    expect(Buffer.from(cutAtCharacterBoundary(bytes, limit)).toString("utf8")).toBe(expected);
  });

  test("cuts ill-formed bytes at the limit", () => {
    const bytes = Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80]);
    expect(cutAtCharacterBoundary(bytes, 4)).toEqual(bytes.subarray(0, 4));
  });

  test("keeps the longest whole-character prefix of any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.nat({ max: 40 }), (text, limit) => {
        const bytes = utf8(text);
        const kept = Buffer.from(cutAtCharacterBoundary(bytes, limit)).toString("utf8");
        const characters = [...text];
        let expected = "";
        for (const character of characters) {
          if (utf8(expected + character).length > limit) break;
          expected += character;
        }
        expect(kept).toBe(expected);
      }),
    );
  });
});

describe("the boundaries of each rule", () => {
  test.each([
    ["U+0080, the first character of two bytes (lead C2)", "\u0080"],
    ["U+07FF, the last of two bytes (lead DF)", "\u07ff"],
    ["U+0800, the first of three bytes (lead E0)", "\u0800"],
    ["U+FFFF, the last of three bytes (lead EF)", "\uffff"],
    ["U+10000, the first of four bytes (lead F0)", "\u{10000}"],
    ["U+10FFFF, the last of four bytes (lead F4)", "\u{10ffff}"],
  ])("a cut inside %s drops the whole character, a cut after it keeps it", (_name, character) => {
    const bytes = Buffer.from(`a${character}`);
    for (let limit = 1; limit < bytes.length; limit++)
      expect(Buffer.from(cutAtCharacterBoundary(bytes, limit)).toString()).toBe("a");
    expect(Buffer.from(cutAtCharacterBoundary(bytes, bytes.length)).toString()).toBe(`a${character}`);
  });

  test("bytes that fit the limit are kept whole, even when they end in half a character", () => {
    const bytes = Uint8Array.from([0x61, 0xe0]);
    expect([...cutAtCharacterBoundary(bytes, 2)]).toEqual([0x61, 0xe0]);
    expect([...cutAtCharacterBoundary(bytes, 3)]).toEqual([0x61, 0xe0]);
  });

  test.each([
    ["U+0080", "aGk\u0080"],
    ["é", "aGk\u00e9"],
    ["a snowman", "aGk\u2603"],
  ])("base64 with %s in it is refused", (_name, text) => {
    expect(decodeStandardBase64(text)).toBeUndefined();
  });

  test("base64 of 64 and of 68 characters decodes alike on either side of the length that picks the method", () => {
    for (const size of [48, 51]) {
      const bytes = Buffer.from(Array.from({ length: size }, (_, index) => (index * 37) % 256));
      const text = bytes.toString("base64");
      expect(decodeStandardBase64(text)).toEqual(bytes);
      expect(decodeStandardBase64(`${text.slice(0, -4)}-${text.slice(-3)}`)).toBeUndefined();
    }
  });

  test("lossy decoding keeps a byte order mark as text", () => {
    expect(decodeLossy(Uint8Array.from([0xef, 0xbb, 0xbf, 0xff]))).toBe("\ufeff\ufffd");
  });
});

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compareReferences, compareStrings, compareValues, valuesIdentical } from "../src/values.ts";
import { copyValue } from "../src/fields.ts";
import type { Value } from "../src/wire.ts";

const int = (n: bigint | number): Value => ({ valueType: "integerValue", integerValue: String(n) });
const dbl = (n: number): Value => ({ valueType: "doubleValue", doubleValue: n });
const str = (s: string): Value => ({ valueType: "stringValue", stringValue: s });

describe("value ordering", () => {
  test.each<[string, Value, Value, number]>([
    ["NaN sorts before every number", dbl(NaN), int(-(2n ** 63n)), -1],
    ["NaN equals NaN", dbl(NaN), dbl(NaN), 0],
    ["an integer equals the same double", int(3), dbl(3), 0],
    ["-0 equals 0", dbl(-0), int(0), 0],
    ["an integer sorts below a slightly larger double", int(3), dbl(3.5), -1],
    ["a large integer compares exactly with a double", int(2n ** 53n + 1n), dbl(2 ** 53), 1],
    ["int64 max is below +Infinity", int(2n ** 63n - 1n), dbl(Infinity), -1],
    ["-Infinity is below int64 min", dbl(-Infinity), int(-(2n ** 63n)), -1],
    ["null sorts before false", { nullValue: "NULL_VALUE" }, { booleanValue: false }, -1],
    ["true sorts before any number", { booleanValue: true }, dbl(-Infinity), -1],
    ["a number sorts before a timestamp", int(9), { timestampValue: { seconds: "0" } }, -1],
    ["strings compare by UTF-8 bytes, so U+FFFD sorts before an emoji", str("\uFFFD"), str("😀"), -1],
    ["a prefix string sorts first", str("ab"), str("abc"), -1],
    ["bytes compare unsigned", { bytesValue: Buffer.from([1]) }, { bytesValue: Buffer.from([255]) }, -1],
    [
      "arrays compare element by element",
      { arrayValue: { values: [int(1), int(2)] } },
      { arrayValue: { values: [int(1), int(3)] } },
      -1,
    ],
    [
      "a shorter array prefix sorts first",
      { arrayValue: { values: [int(1)] } },
      { arrayValue: { values: [int(1), int(0)] } },
      -1,
    ],
    [
      "maps compare by sorted keys first",
      { mapValue: { fields: { a: int(9) } } },
      { mapValue: { fields: { b: int(0) } } },
      -1,
    ],
    [
      "geo points compare latitude then longitude",
      { geoPointValue: { latitude: 1, longitude: 9 } },
      { geoPointValue: { latitude: 2, longitude: 0 } },
      -1,
    ],
  ])("%s", (_name, a, b, expected) => {
    expect(compareValues(a, b)).toBe(expected);
    expect(compareValues(b, a)).toBe(-expected || 0);
  });

  test("string order is the order of UTF-8 bytes for any strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
        const bytes = Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
        expect(compareStrings(a, b)).toBe(bytes);
      }),
    );
  });

  test("integer and double order agrees with arithmetic wherever both are exact doubles", () => {
    const exact = 2 ** 52;
    fc.assert(
      fc.property(
        fc.integer({ min: -exact, max: exact }),
        fc.double({ min: -exact, max: exact, noNaN: true }),
        (i, d) => {
          expect(compareValues(int(i), dbl(d))).toBe(Math.sign(i - d) || 0);
          expect(compareValues(dbl(d), int(i))).toBe(Math.sign(d - i) || 0);
        },
      ),
    );
  });

  test("references compare segment by segment", () => {
    expect(compareReferences("p/d/a/b", "p/d/a-b/c")).toBe(-1);
    expect(compareReferences("p/d/a/b", "p/d/a/b/c/d")).toBe(-1);
  });

  test("identity tells an integer from the equal double, while order does not", () => {
    expect(valuesIdentical(int(1), dbl(1))).toBe(false);
    expect(compareValues(int(1), dbl(1))).toBe(0);
  });
});

describe("copyValue", () => {
  test("copies a decoded value deeply, bytes included, sharing nothing with it", () => {
    const request = Buffer.from("....payload....");
    const bytes = request.subarray(4, 11);
    const value = {
      mapValue: {
        fields: { b: { bytesValue: bytes }, a: { arrayValue: { values: [{ integerValue: "1" }] } } },
      },
    };
    const copy = copyValue(value);
    expect(copy).toEqual({
      mapValue: {
        fields: {
          b: { bytesValue: new Uint8Array(bytes) },
          a: { arrayValue: { values: [{ integerValue: "1" }] } },
        },
      },
    });
    request.fill(0);
    value.mapValue.fields.a.arrayValue.values[0]!.integerValue = "2";
    expect(Buffer.from(copy.mapValue.fields.b.bytesValue).toString()).toBe("payload");
    expect(copy.mapValue.fields.a.arrayValue.values[0]!.integerValue).toBe("1");
  });
});

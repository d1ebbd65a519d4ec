import fc from "fast-check";
import { isIPv6 } from "node:net";
import { describe, expect, test } from "vitest";
import { canonicalIp, documentKey } from "../src/key.ts";

describe("canonicalIp", () => {
  test.each([
    ["keeps an IPv4 dotted quad as given", "1.1.1.7", "1.1.1.7"],
    ["accepts a single zero octet", "0.0.0.0", "0.0.0.0"],
    ["accepts the largest octets", "255.255.255.255", "255.255.255.255"],
    ["lowercases IPv6 hex", "2001:DB8::1", "2001:db8::1"],
    ["drops leading zeros in IPv6 groups", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["compresses the longest zero run", "2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"],
    ["compresses the first run on a tie", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["does not compress a single zero group", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["writes all zeros as ::", "0:0:0:0:0:0:0:0", "::"],
    ["keeps the loopback", "::1", "::1"],
    ["writes a trailing zero run as ::", "1::", "1::"],
    ["accepts :: standing for one group", "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["rewrites a dotted IPv4 tail as hex", "64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["rewrites an IPv4-compatible address as hex", "::1.2.3.4", "::102:304"],
    ["turns an IPv4-mapped address into IPv4", "::ffff:1.2.3.4", "1.2.3.4"],
    ["turns an IPv4-mapped address in hex into IPv4", "::FFFF:0102:0304", "1.2.3.4"],
    ["turns a fully written IPv4-mapped address into IPv4", "0:0:0:0:0:ffff:10.0.0.1", "10.0.0.1"],
    ["keeps a NAT64 address that is not mapped", "::fffe:1.2.3.4", "::fffe:102:304"],
    ["keeps ::ffff: followed by three groups as IPv6", "::ffff:1:2:3", "::ffff:1:2:3"],
  ])("%s (%s)", (_name, input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });

  test.each([
    ["an octet with a leading zero", "01.1.1.7"],
    ["an octet above 255", "256.1.1.1"],
    ["three octets", "1.1.1"],
    ["five octets", "1.1.1.1.1"],
    ["surrounding whitespace", " 1.1.1.7"],
    ["a trailing newline", "1.1.1.7\n"],
    ["an empty string", ""],
    ["a zone", "fe80::1%eth0"],
    ["two ::", "1::2::3"],
    ["nine groups", "1:2:3:4:5:6:7:8:9"],
    ["seven groups without ::", "1:2:3:4:5:6:7"],
    ["eight groups and ::", "1:2:3:4:5:6:7:8::"],
    ["a five-digit group", "12345::1"],
    ["a non-hex group", "g::1"],
    ["a leading single colon", ":1:2:3:4:5:6:7"],
    ["a dotted tail with a leading zero", "::ffff:1.02.3.4"],
    ["a dotted tail before the end", "::1.2.3.4:1"],
    ["brackets", "[::1]"],
    ["a hostname", "localhost"],
  ])("refuses %s (%j)", (_name, input) => {
    expect(canonicalIp(input)).toBeUndefined();
  });

  const ipv6Group = fc.integer({ min: 0, max: 0xffff });
  // Sparse groups so that zero runs of every length appear.
  const groups = fc.array(fc.oneof(fc.constant(0), ipv6Group), { minLength: 8, maxLength: 8 });

  test("agrees with the WHATWG URL serialiser (RFC 5952) on every unmapped address", () => {
    fc.assert(
      fc.property(groups, fc.boolean(), (values, upper) => {
        fc.pre(!(values.slice(0, 5).every((group) => group === 0) && values[5] === 0xffff));
        const written = values.map((group) => group.toString(16).padStart(upper ? 4 : 1, "0")).join(":");
        const text = upper ? written.toUpperCase() : written;
        expect(canonicalIp(text)).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1));
      }),
    );
  });

  test("reads every valid spelling of an address to the same canonical form", () => {
    const spelling = fc.record({
      values: groups,
      compressAt: fc.nat({ max: 7 }),
      dottedTail: fc.boolean(),
      upper: fc.boolean(),
      padded: fc.boolean(),
    });
    fc.assert(
      fc.property(spelling, ({ values, compressAt, dottedTail, upper, padded }) => {
        const hex = (group: number) => group.toString(16).padStart(padded ? 4 : 1, "0");
        const tail = dottedTail
          ? [`${values[6]! >> 8}.${values[6]! & 255}.${values[7]! >> 8}.${values[7]! & 255}`]
          : [hex(values[6]!), hex(values[7]!)];
        const parts = [...values.slice(0, 6).map(hex), ...tail];
        // Compress the run of zero groups that starts at compressAt, when there is one (never into the tail).
        let end = compressAt;
        while (end < 6 && values[end] === 0) end++;
        const written =
          end > compressAt
            ? `${parts.slice(0, compressAt).join(":")}::${parts.slice(end).join(":")}`
            : parts.join(":");
        const text = upper ? written.toUpperCase() : written;
        expect(isIPv6(text)).toBe(true);
        const isMapped = values.slice(0, 5).every((group) => group === 0) && values[5] === 0xffff;
        const expected = isMapped
          ? tail.length === 1
            ? tail[0]
            : `${values[6]! >> 8}.${values[6]! & 255}.${values[7]! >> 8}.${values[7]! & 255}`
          : new URL(`http://[${values.map(hex).join(":")}]/`).hostname.slice(1, -1);
        expect(canonicalIp(text)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  test("is idempotent on every valid address, in any spelling", () => {
    // fast-check's addresses: IPv4, and IPv6 in every form (compressed, padded, with a dotted tail).
    const address = fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.boolean());
    fc.assert(
      fc.property(address, ([text, upper]) => {
        const canonical = canonicalIp(upper ? text.toUpperCase() : text);
        expect(canonical).toBeDefined();
        expect(canonicalIp(canonical!)).toBe(canonical);
      }),
      { numRuns: 2000 },
    );
  });

  test("accepts exactly what node:net accepts as IPv6 (without zones)", () => {
    // Near misses of valid addresses as well as random text, so that both answers are common.
    const nearMiss = fc
      .tuple(fc.ipV6(), fc.nat(), fc.constantFrom("", ":", "::", "0", "g", "12345", ":1"))
      .map(
        ([text, at, insert]) =>
          text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1)),
      );
    const candidate = fc.oneof(nearMiss, fc.stringMatching(/^[0-9a-fA-F:]{0,45}$/));
    let accepted = 0;
    fc.assert(
      fc.property(candidate, (text) => {
        const canonical = canonicalIp(text);
        expect(canonical !== undefined).toBe(isIPv6(text));
        if (canonical !== undefined) accepted++;
      }),
      { numRuns: 2000 },
    );
    // Both answers were asked for: at least a tenth of each.
    expect(accepted).toBeGreaterThan(200);
    expect(accepted).toBeLessThan(1800);
  });
});

describe("documentKey", () => {
  test.each([
    ["joins an IPv4 key with colons", { ip: "1.1.1.7", port: 443, service: "HTTP" }, "1.1.1.7:443:HTTP"],
    ["brackets an IPv6 address", { ip: "2001:db8::1", port: 22, service: "SSH" }, "[2001:db8::1]:22:SSH"],
    [
      "canonicalises ip and service",
      { ip: "2001:DB8:0::1", port: 22, service: "ssh" },
      "[2001:db8::1]:22:SSH",
    ],
    ["keys a mapped address as IPv4", { ip: "::ffff:1.1.1.7", port: 0, service: "http" }, "1.1.1.7:0:HTTP"],
  ])("%s", (_name, scan, expected) => {
    expect(documentKey(scan)).toBe(expected);
  });

  test("refuses to key an invalid address, quoting it", () => {
    expect(() => documentKey({ ip: "1.1.1.07", port: 1, service: "x" })).toThrow(
      'not an IP address: "1.1.1.07"',
    );
  });

  test("refuses an invalid ip", () => {
    expect(() => documentKey({ ip: "1.1.1", port: 1, service: "X" })).toThrow(RangeError);
  });
});

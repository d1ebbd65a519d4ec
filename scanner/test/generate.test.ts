import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  FIRST_IP,
  GO_SCANNER_KEYSPACE,
  MAX_IPS,
  generateScan,
  ipAt,
  responseOf,
  unixSeconds,
  type Keyspace,
  type GeneratedScan,
} from "../src/generate.ts";
import { createRandom } from "../src/random.ts";

const draw = (
  seed: string,
  n: number,
  keyspace: Keyspace = GO_SCANNER_KEYSPACE,
  timestamp = 1732262400,
): GeneratedScan[] => {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => generateScan(random, keyspace, timestamp));
};

describe("generateScan", () => {
  test("draws from the Go scanner's ranges by default", () => {
    // One assertion over every scan that breaks a range: 18,000 expect calls made mutation testing slow.
    const outside = draw("ranges", 3000).filter(
      (scan) =>
        !/^1\.1\.1\.(\d|[1-9]\d|1\d\d|2[0-4]\d|25[0-4])$/.test(scan.ip) ||
        !(Number.isInteger(scan.port) && scan.port >= 0 && scan.port <= 65534) ||
        !["HTTP", "SSH", "DNS"].includes(scan.service) ||
        !/^service response: (\d|[1-9]\d)$/.test(responseOf(scan)),
    );
    expect(outside).toEqual([]);
  });

  test("uses every service, both data versions and the whole response range", () => {
    const scans = draw("coverage", 3000);
    expect(new Set(scans.map((scan) => scan.service))).toEqual(new Set(["HTTP", "SSH", "DNS"]));
    expect(new Set(scans.map((scan) => scan.data_version))).toEqual(new Set([1, 2]));
    expect(new Set(scans.map(responseOf)).size).toBe(100);
    expect(new Set(scans.map((scan) => scan.ip)).size).toBe(255);
  });

  test("writes the fields in the Go scanner's order and v1 data as padded standard base64", () => {
    const scans = draw("wire", 50);
    const v1 = scans.find((scan) => scan.data_version === 1);
    const v2 = scans.find((scan) => scan.data_version === 2);
    expect(Object.keys(v1 ?? {})).toEqual(["ip", "port", "service", "timestamp", "data_version", "data"]);
    // Padded standard base64 of the response text, read here without the module's own responseOf.
    const text = (v1?.data as { response_bytes_utf8: string }).response_bytes_utf8;
    expect(text).toMatch(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
    expect(Buffer.from(text, "base64").toString("latin1")).toMatch(/^service response: (\d|[1-9]\d)$/);
    expect(Object.keys(v2?.data ?? {})).toEqual(["response_str"]);
  });

  test("stamps each scan with the timestamp it is given", () => {
    expect(draw("time", 5, GO_SCANNER_KEYSPACE, 42).map((scan) => scan.timestamp)).toEqual([
      42, 42, 42, 42, 42,
    ]);
  });

  test("gives the same scans for the same seed and different ones for another", () => {
    expect(draw("seed-a", 200)).toEqual(draw("seed-a", 200));
    expect(draw("seed-a", 200)).not.toEqual(draw("seed-b", 200));
  });

  test("stays inside any keyspace it is given", () => {
    const keyspace = fc.record({
      ips: fc.integer({ min: 1, max: MAX_IPS }),
      ports: fc.integer({ min: 1, max: 65536 }),
      services: fc.array(fc.stringMatching(/^[A-Z][A-Z0-9]{0,5}$/), { minLength: 1, maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.string(), keyspace, (seed, space) => {
        for (const scan of draw(seed, 20, space)) {
          const address = scan.ip.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
          expect(address - FIRST_IP).toBeGreaterThanOrEqual(0);
          expect(address - FIRST_IP).toBeLessThan(space.ips);
          expect(scan.port).toBeLessThan(space.ports);
          expect(space.services).toContain(scan.service);
        }
      }),
    );
  });
});

describe("unixSeconds", () => {
  test("rounds milliseconds down to whole seconds, as Go's Unix()", () => {
    expect(unixSeconds(1_732_262_400_999)).toBe(1_732_262_400);
    expect(unixSeconds(1_732_262_401_000)).toBe(1_732_262_401);
  });
});

test("a keyspace without services draws HTTP", () => {
  const keyspace = { ips: 1, ports: 1, services: [] };
  expect(generateScan(createRandom("none"), keyspace, 1).service).toBe("HTTP");
});

describe("ipAt", () => {
  test.each([
    [0, "1.1.1.0"],
    [254, "1.1.1.254"],
    [255, "1.1.1.255"],
    [256, "1.1.2.0"],
    [65536, "1.2.1.0"],
    [MAX_IPS - 1, "255.255.255.255"],
  ])("counts %i addresses on from 1.1.1.0 to %s", (index, ip) => {
    expect(ipAt(index)).toBe(ip);
  });
});

describe("createRandom", () => {
  test("returns integers below any bound up to 2^32", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 2 ** 32 }), (seed, bound) => {
        const value = createRandom(seed).int(bound);
        expect(Number.isInteger(value) && value >= 0 && value < bound).toBe(true);
      }),
    );
  });

  test("spreads a small bound evenly", () => {
    const random = createRandom("spread");
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[random.int(4)]! += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

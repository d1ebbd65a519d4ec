import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compareVersions, decideOutcome, type Version } from "../src/order.ts";
import { greatest } from "./harness.ts";

const version = (timestamp: number, responseSha256: string): Version => ({ timestamp, responseSha256 });

describe("which scan wins", () => {
  test.each([
    ["stores the first scan of a key", version(10, "aa"), undefined, "stored"],
    ["keeps the newer scan when an older one arrives late", version(9, "ff"), version(10, "aa"), "stale"],
    ["replaces an older scan", version(11, "00"), version(10, "ff"), "stored"],
    ["breaks a timestamp tie by the larger hash", version(10, "ab"), version(10, "aa"), "stored"],
    ["keeps the larger hash on a timestamp tie", version(10, "aa"), version(10, "ab"), "stale"],
    ["sees an equal pair as a duplicate", version(10, "aa"), version(10, "aa"), "duplicate"],
    ["compares seconds numerically, not as text", version(100, "00"), version(99, "ff"), "stored"],
  ] as const)("%s", (_name, incoming, stored, outcome) => {
    expect(decideOutcome(incoming, stored)).toBe(outcome);
  });

  test("compares timestamp first, then the hash", () => {
    expect(compareVersions(version(1, "b"), version(2, "a"))).toBeLessThan(0);
    expect(compareVersions(version(2, "a"), version(2, "b"))).toBeLessThan(0);
    expect(compareVersions(version(2, "b"), version(2, "b"))).toBe(0);
  });

  const hash = fc.stringMatching(/^[0-9a-f]{4}$/);
  const versions = fc.array(fc.record({ timestamp: fc.integer({ min: 1, max: 5 }), responseSha256: hash }), {
    minLength: 1,
    maxLength: 12,
  });

  test("any permutation and duplication of a set of scans ends in the same stored state", () => {
    fc.assert(
      fc.property(
        versions,
        fc.func(fc.nat({ max: 3 })),
        fc.infiniteStream(fc.nat()),
        (scans, copies, shuffle) => {
          const deliveries = scans.flatMap((scan, index) => Array(1 + copies(index)).fill(scan) as Version[]);
          const order = [...shuffle.take(deliveries.length)];
          const shuffled = deliveries
            .map((scan, index) => ({ scan, rank: order[index]! }))
            .sort((a, b) => a.rank - b.rank)
            .map(({ scan }) => scan);
          // Replay the deliveries through the store's rule, one document.
          let stored: Version | undefined;
          for (const scan of shuffled) if (decideOutcome(scan, stored) === "stored") stored = scan;
          expect(stored).toEqual(greatest(scans));
          expect(scans.every((scan) => compareVersions(scan, stored!) <= 0)).toBe(true);
        },
      ),
    );
  });
});

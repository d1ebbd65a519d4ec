// The benchmark's command line and its report; the measurements themselves are not tests (no timing here).
import { describe, expect, test } from "vitest";
import { parseBenchArgs, UsageError } from "./args.ts";
import { formatTable, meets, nestFigures, type Figure } from "./report.ts";

describe("parseBenchArgs", () => {
  test.each<[string, string[], unknown]>([
    ["no flags: a full run, no JSON", [], { jsonFile: undefined, quick: false }],
    ["--json FILE", ["--json", "out.json"], { jsonFile: "out.json", quick: false }],
    ["--json=FILE and --quick", ["--json=out.json", "--quick"], { jsonFile: "out.json", quick: true }],
    ["-h", ["-h"], "help"],
  ])("reads %s", (_name, args, expected) => {
    expect(parseBenchArgs(args)).toEqual(expected);
  });

  test.each<[string, string[], RegExp]>([
    ["an unknown flag", ["--fast"], /--fast/],
    ["--json without a file", ["--json"], /--json/],
    ["--json with an empty name", ["--json", ""], /--json needs a file name/],
    ["a positional argument", ["out.json"], /out\.json/],
  ])("refuses %s, naming it", (_name, args, message) => {
    expect(() => parseBenchArgs(args)).toThrow(UsageError);
    expect(() => parseBenchArgs(args)).toThrow(message);
  });
});

describe("report", () => {
  const figures: Figure[] = [
    { name: "decode.ratio", value: 0.61, goal: { atLeast: 0.5 }, digits: 2 },
    { name: "coldStart.ratio", value: 0.75, goal: { atMost: 0.7 }, digits: 2 },
    { name: "coldStart.ms", value: 412.4, digits: 0 },
    { name: "ops.fresh.reads", value: 1, goal: { equals: 1 }, digits: 2 },
    { name: "emulators.readyMs", value: undefined, goal: { below: 300 }, digits: 0 },
  ];

  test("judges each goal, and a missing value or goal as neither met nor missed", () => {
    expect(figures.map(meets)).toEqual([true, false, undefined, true, undefined]);
    expect(meets({ name: "x", value: 300, goal: { below: 300 }, digits: 0 })).toBe(false);
  });

  test("nests the dotted names, a failed figure as null", () => {
    expect(nestFigures(figures)).toEqual({
      decode: { ratio: 0.61 },
      coldStart: { ratio: 0.75, ms: 412.4 },
      ops: { fresh: { reads: 1 } },
      emulators: { readyMs: null },
    });
  });

  test("prints one row per figure with its value, goal and verdict", () => {
    const lines = formatTable(figures).split("\n");
    expect(lines[0]).toMatch(/^figure\s+value\s+goal\s+met\?$/);
    expect(lines.slice(2).map((line) => line.split(/\s{2,}/))).toEqual([
      ["decode.ratio", "0.61", ">= 0.5", "yes"],
      ["coldStart.ratio", "0.75", "<= 0.7", "NO"],
      ["coldStart.ms", "412", "report"],
      ["ops.fresh.reads", "1.00", "= 1", "yes"],
      ["emulators.readyMs", "failed", "< 300", "NO"],
    ]);
  });

  test("prints a text figure to the end of its line, neither met nor missed, and nests it as text", () => {
    const named: Figure[] = [
      { name: "capacity.ceilingScansPerSec", value: 24_000, goal: { atLeast: 20_000 }, digits: 0 },
      { name: "capacity.firstCeiling", value: "Cloud Run max instances", goal: { atLeast: 1 }, digits: 0 },
    ];
    expect(meets(named[1]!)).toBeUndefined();
    expect(formatTable(named).split("\n").slice(2)).toEqual([
      "capacity.ceilingScansPerSec  24000  >= 20000  yes",
      "capacity.firstCeiling        Cloud Run max instances",
    ]);
    expect(nestFigures(named)).toEqual({
      capacity: { ceilingScansPerSec: 24_000, firstCeiling: "Cloud Run max instances" },
    });
  });
});

// bench --profile's reading of a CPU profile: self time per package family and per frame, through source maps.
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, test } from "vitest";
import { repositoryRoot } from "./measure.ts";
import { familyOf, packageOfPath, processLabel, summarise, type CpuProfile } from "./profile.ts";

describe("packages and families", () => {
  test.each([
    [`${repositoryRoot}functions/src/ingest.ts`, "ours"],
    [`${repositoryRoot}node_modules/express/lib/router.js`, "express"],
    [`${repositoryRoot}node_modules/@grpc/grpc-js/build/src/call.js`, "@grpc/grpc-js"],
    ["/x/node_modules/a/node_modules/@scope/b/index.js", "@scope/b"],
  ])("%s belongs to %s", (path, pkg) => {
    expect(packageOfPath(path)).toBe(pkg);
  });

  test.each([
    ["@grpc/grpc-js", "grpc"],
    ["@google-cloud/functions-framework", "functions-framework"],
    // Dependencies count with the package that brings them, from the installed graph.
    ["express", "functions-framework"],
    ["google-gax", "Google clients"],
    ["protobufjs", "Google clients"],
    ["@google-cloud/firestore", "Google clients"],
    ["esbuild", "esbuild"],
  ])("%s is in the family %s", (pkg, family) => {
    expect(familyOf(pkg)).toBe(family);
  });
});

test.each([
  [
    [
      "/m/functions-framework/build/src/main.js",
      "--source",
      `${repositoryRoot}functions/dist`,
      "--target",
      "scansApi",
    ],
    "functions-framework scansApi from functions/dist",
  ],
  [[`${repositoryRoot}test/bench/load-worker.ts`], "test/bench/load-worker.ts"],
  [["emulators/cli.ts", "--firestore-port", "0"], "emulators/cli.ts --firestore-port 0"],
])("a profiled process is named by its command line: %j", (argv, label) => {
  expect(processLabel(argv)).toBe(label);
});

describe("summarise", () => {
  const frame = (id: number, functionName: string, url: string, lineNumber = 0, columnNumber = 0) => ({
    id,
    callFrame: { functionName, url, lineNumber, columnNumber },
  });

  test("sums self time per frame and family, and leaves idle out", () => {
    const profile: CpuProfile = {
      nodes: [
        frame(1, "(root)", ""),
        frame(2, "", `file://${repositoryRoot}test/bench/main.ts`),
        frame(3, "decodeScan", `file://${repositoryRoot}functions/src/scan.ts`, 40),
        frame(
          4,
          "sendUnaryData",
          `file://${repositoryRoot}node_modules/@grpc/grpc-js/build/src/server.js`,
          9,
        ),
        frame(5, "(idle)", ""),
        frame(6, "(garbage collector)", ""),
        frame(7, "emit", "node:events", 200),
        // Node's TypeScript stripper.
        frame(8, "wasm-function[68]", "wasm:/wasm/00ad0bc6"),
      ],
      samples: [3, 3, 4, 5, 5, 5, 6, 7, 3, 8],
      timeDeltas: [1000, 1000, 2000, 50000, 50000, 50000, 500, 1500, 1000, 1000],
    };
    const summary = summarise(profile, "bench");
    expect(summary.busyMs).toBe(8);
    expect(summary.families).toEqual([
      { family: "ours", selfMs: 3 },
      { family: "node", selfMs: 3 },
      { family: "grpc", selfMs: 2 },
    ]);
    expect(summary.frames[0]).toEqual({
      frame: "decodeScan functions/src/scan.ts:41",
      family: "ours",
      pkg: "ours",
      selfMs: 3,
    });
    expect(summary.frames.map((entry) => entry.frame)).toContain("emit node:events");
  });

  const scratch = mkdtemp(join(tmpdir(), "profile-test-"));
  afterAll(async () => rm(await scratch, { recursive: true, force: true }));

  test("traces a frame inside a bundle to its package through the bundle's source map", async () => {
    const directory = await scratch;
    await mkdir(join(directory, "node_modules/slowpkg"), { recursive: true });
    await writeFile(
      join(directory, "node_modules/slowpkg/index.js"),
      "exports.slowWork = function slowWork(n) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; };\n",
    );
    await writeFile(
      join(directory, "entry.js"),
      'const { slowWork } = require("slowpkg");\nexports.ours = function ours() { return slowWork(10); };\n',
    );
    const outfile = join(directory, "bundle.js");
    await build({
      entryPoints: [join(directory, "entry.js")],
      bundle: true,
      platform: "node",
      format: "cjs",
      outfile,
      sourcemap: "linked",
      sourcesContent: false,
      logLevel: "silent",
    });
    const lines = (await readFile(outfile, "utf8")).split("\n");
    // esbuild may rename a function (slowWork2): found by its name's start.
    const at = (name: string) => {
      const pattern = new RegExp(`function ${name}\\d*\\(`);
      const line = lines.findIndex((text) => pattern.test(text));
      return { line, column: lines[line]!.search(pattern) };
    };
    const slow = at("slowWork");
    const ours = at("ours");
    const summary = summarise(
      {
        nodes: [
          frame(1, "slowWork", outfile, slow.line, slow.column),
          frame(2, "ours", outfile, ours.line, ours.column),
        ],
        samples: [1, 1, 2],
        timeDeltas: [1000, 1000, 1000],
      },
      "bundle",
    );
    expect(summary.frames).toEqual([
      { frame: "slowWork slowpkg/index.js:1", family: "slowpkg", pkg: "slowpkg", selfMs: 2 },
      expect.objectContaining({ pkg: "ours", selfMs: 1 }),
    ]);
  });
});

// Bundles the function for deployment: `node build.ts [outdir]` writes dist/index.js (a small loader),
// dist/ingest.js (the bundle), dist/ingest.cache (V8's code cache for it) and dist/package.json.
// functions-framework stays outside the bundle: the runtime's copy must see the registration.
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { build } from "esbuild";

const here = new URL(".", import.meta.url).pathname;
const framework = "@google-cloud/functions-framework";
const scriptKey = "scan-ingest.bundleScript";

/**
 * The entry functions-framework loads. It compiles the bundle with the code cache made at build time,
 * which spares most of the compile work of a cold start (read-only: nothing is written at run time).
 * When this Node's V8 differs from the build's, V8 rejects the cache and compiles as usual.
 */
const loader = `"use strict";
// Loads ingest.js with the V8 code cache made when it was built (see functions/build.ts).
const { readFileSync } = require("node:fs");
const { createRequire, wrap } = require("node:module");
const { join } = require("node:path");
const { Script } = require("node:vm");
const filename = join(__dirname, "ingest.js");
let cachedData;
try {
  cachedData = readFileSync(join(__dirname, "ingest.cache"));
} catch {}
const script = new Script(wrap(readFileSync(filename, "utf8")), { filename, cachedData });
globalThis[Symbol.for(${JSON.stringify(scriptKey)})] = script;
const bundle = { exports: {} };
script.runInThisContext().call(bundle.exports, bundle.exports, createRequire(filename), bundle, filename, __dirname);
module.exports = bundle.exports;
`;

/**
 * Loads the bundle once in a child process and saves V8's code cache for it, taken after the load so it
 * holds every function the load compiled. The child resolves functions-framework from this package.
 */
async function writeCodeCache(outdir: string): Promise<void> {
  const entry = createRequire(import.meta.url).resolve(framework);
  const frameworkModules = entry.slice(0, entry.lastIndexOf(`${sep}node_modules${sep}`) + 13);
  const save = `
    require(${JSON.stringify(join(outdir, "index.js"))});
    const script = globalThis[Symbol.for(${JSON.stringify(scriptKey)})];
    require("node:fs").writeFileSync(${JSON.stringify(join(outdir, "ingest.cache"))}, script.createCachedData());`;
  await promisify(execFile)(process.execPath, ["-e", save], {
    cwd: outdir,
    // A clean environment: the configuration's defaults, no emulator, no credentials.
    env: { PATH: process.env.PATH ?? "", NODE_PATH: frameworkModules },
  });
}

export interface BuildOptions {
  /** The module that registers the function; default src/index.ts (the benchmarks bundle others alike). */
  entryPoint?: string;
}

/** Build into `outdir` (functions/dist by default); returns the bundle's (ingest.js) size in bytes. */
export async function buildFunction(
  outdir = join(here, "dist"),
  options: BuildOptions = {},
): Promise<number> {
  const manifest = JSON.parse(await readFile(join(here, "package.json"), "utf8"));
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: [options.entryPoint ?? join(here, "src/index.ts")],
    outfile: join(outdir, "ingest.js"),
    bundle: true,
    platform: "node",
    target: "node24",
    // CommonJS, because the Google client libraries use require and __dirname at runtime.
    format: "cjs",
    external: [framework],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "linked",
    logLevel: "warning",
  });
  await writeFile(join(outdir, "index.js"), loader);
  const deployManifest = {
    name: "ingest-scan",
    version: manifest.version,
    private: true,
    description: manifest.description,
    main: "index.js",
    engines: { node: "24" },
    dependencies: { [framework]: manifest.dependencies[framework] },
  };
  await writeFile(join(outdir, "package.json"), `${JSON.stringify(deployManifest, null, 2)}\n`);
  await writeCodeCache(outdir);
  return (await stat(join(outdir, "ingest.js"))).size;
}

if (import.meta.main) {
  const outdir = process.argv[2] === undefined ? undefined : resolve(process.argv[2]);
  const bytes = await buildFunction(outdir);
  console.log(`built ${outdir ?? join(here, "dist")}/index.js (${(bytes / 1024).toFixed(0)} KiB bundle)`);
}

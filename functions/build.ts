// Bundles the functions for deployment: `node build.ts [outdir]` writes dist/index.js (a small loader),
// dist/ingest.js and dist/api.js (the bundles of ingestScan and scansApi), their V8 code caches
// (*.cache) and dist/package.json; and, without outdir, dist-firebase/ (ingestScan for the Firebase CLI).
// functions-framework stays outside the bundle: the runtime's copy must see the registration.
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { build } from "esbuild";

const here = new URL(".", import.meta.url).pathname;
/** Where `npm run build` puts the deployable function, and what the local pipeline serves. */
export const distDirectory = join(here, "dist");
/** The source directory firebase.json names: ingestScan declared with firebase-functions (src/firebase.ts). */
export const firebaseDistDirectory = join(here, "dist-firebase");
const framework = "@google-cloud/functions-framework";
const firebaseFunctions = "firebase-functions";
const firebaseAdmin = "firebase-admin";
const docsPackage = "swagger-ui-dist";
const scriptKey = "scan-ingest.bundleScripts";

/**
 * The entry functions-framework loads. It compiles each bundle with the code cache made at build time,
 * which spares most of the compile work of a cold start (read-only: nothing is written at run time).
 * When this Node's V8 differs from the build's, V8 rejects the cache and compiles as usual. Both functions
 * deploy from this one directory: the target (FUNCTION_TARGET in Cloud Run, --target locally) picks the
 * bundle, so ingestScan never loads scansApi's code; with no target known, both register.
 */
const loader = `"use strict";
// Loads ingest.js and/or api.js with the V8 code cache made when they were built (see functions/build.ts).
const { existsSync, readFileSync } = require("node:fs");
const { createRequire, wrap } = require("node:module");
const { join } = require("node:path");
const { Script } = require("node:vm");
const scripts = (globalThis[Symbol.for(${JSON.stringify(scriptKey)})] ??= {});
function load(name) {
  const filename = join(__dirname, name + ".js");
  let cachedData;
  try {
    cachedData = readFileSync(join(__dirname, name + ".cache"));
  } catch {}
  const script = new Script(wrap(readFileSync(filename, "utf8")), { filename, cachedData });
  scripts[name] = script;
  const bundle = { exports: {} };
  script.runInThisContext().call(bundle.exports, bundle.exports, createRequire(filename), bundle, filename, __dirname);
  return bundle.exports;
}
const flag = process.argv.findIndex((argument) => argument === "--target" || argument.startsWith("--target="));
const target = process.env.FUNCTION_TARGET ?? (flag < 0 ? undefined : process.argv[flag].split("=")[1] ?? process.argv[flag + 1]);
const hasApi = existsSync(join(__dirname, "api.js"));
if (target !== "scansApi" || !hasApi) module.exports = load("ingest");
if (target !== "ingestScan" && hasApi) Object.assign((module.exports ??= {}), load("api"));
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
    const scripts = globalThis[Symbol.for(${JSON.stringify(scriptKey)})];
    for (const [name, script] of Object.entries(scripts))
      require("node:fs").writeFileSync(require("node:path").join(${JSON.stringify(outdir)}, name + ".cache"), script.createCachedData());`;
  await promisify(execFile)(process.execPath, ["-e", save], {
    cwd: outdir,
    // A clean environment: the configuration's defaults, no emulator, no credentials.
    env: { PATH: process.env.PATH ?? "", NODE_PATH: frameworkModules },
  });
}

const bundleOptions = {
  bundle: true,
  platform: "node",
  target: "node24",
  // CommonJS, because the Google client libraries use require and __dirname at runtime.
  format: "cjs",
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "linked",
  // Beside each bundle, without the sources: stack traces under --enable-source-maps and bench --profile's
  // frames name the source file and line instead of a column of the bundle.
  sourcemap: "linked",
  sourcesContent: false,
  logLevel: "warning",
} as const;

export interface BuildOptions {
  /** The module that registers the function; default src/index.ts (the benchmarks bundle others alike). */
  entryPoint?: string;
  /** Default: true unless entryPoint is given; also bundle scansApi (src/api/index.ts) into api.js. */
  api?: boolean;
}

/** Build into `outdir` (functions/dist by default); returns the bundle's (ingest.js) size in bytes. */
export async function buildFunction(outdir = distDirectory, options: BuildOptions = {}): Promise<number> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    ...bundleOptions,
    entryPoints: [options.entryPoint ?? join(here, "src/index.ts")],
    outfile: join(outdir, "ingest.js"),
    external: [framework],
  });
  const withApi = options.api ?? options.entryPoint === undefined;
  if (withApi) {
    await build({
      ...bundleOptions,
      entryPoints: [join(here, "src/api/index.ts")],
      outfile: join(outdir, "api.js"),
      // swagger-ui-dist is files the docs page serves, not code: installed beside the bundle from package.json.
      external: [framework, docsPackage],
      // import.meta.url in CommonJS: the bundle's own file, from which swagger-ui-dist is resolved.
      define: { "import.meta.url": "__bundleUrl" },
      banner: { js: 'var __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    });
  }
  await writeFile(join(outdir, "index.js"), loader);
  await writeDeployManifest(outdir, "ingest-scan", [framework, ...(withApi ? [docsPackage] : [])]);
  await writeCodeCache(outdir);
  return (await stat(join(outdir, "ingest.js"))).size;
}

/**
 * Build the Firebase CLI's source directory: index.js (src/firebase.ts bundled, firebase-functions outside it,
 * as the CLI's discovery and emulator load their own copy) and a package.json that names firebase-functions.
 */
export async function buildFirebaseFunction(outdir = firebaseDistDirectory): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    ...bundleOptions,
    entryPoints: [join(here, "src/firebase.ts")],
    outfile: join(outdir, "index.js"),
    external: [firebaseFunctions],
  });
  // firebase-admin: the peer firebase-functions needs, and the Functions emulator checks for.
  await writeDeployManifest(outdir, "ingest-scan-firebase", [firebaseFunctions, firebaseAdmin]);
}

/** The package.json deployed with a bundle: the packages it leaves outside, at this package's versions. */
async function writeDeployManifest(outdir: string, name: string, external: string[]): Promise<void> {
  const manifest = JSON.parse(await readFile(join(here, "package.json"), "utf8"));
  const deployManifest = {
    name,
    version: manifest.version,
    private: true,
    description: manifest.description,
    main: "index.js",
    engines: { node: "24" },
    dependencies: Object.fromEntries(
      external.map((dependency) => [dependency, manifest.dependencies[dependency]]),
    ),
  };
  await writeFile(join(outdir, "package.json"), `${JSON.stringify(deployManifest, null, 2)}\n`);
}

if (import.meta.main) {
  const outdir = process.argv[2] === undefined ? undefined : resolve(process.argv[2]);
  const bytes = await buildFunction(outdir);
  console.log(`built ${outdir ?? distDirectory}/index.js (${(bytes / 1024).toFixed(0)} KiB bundle)`);
  if (outdir === undefined) {
    await buildFirebaseFunction();
    console.log(`built ${firebaseDistDirectory}/index.js (the Firebase CLI's functions source)`);
  }
}

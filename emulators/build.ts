// Bundles both embedded emulators (emulators/cli.ts): `node build.ts [outdir]` writes outdir/emulators.js and
// the few dependency files it reads at run time into outdir/node_modules, so the container image needs no npm
// install; and outdir/cli.mjs, which `npm run emulators:embedded` runs. dist/ by default (npm ci and
// npm run build make it).
import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import { NODE_BUNDLE } from "@scan-ingest/emulator-shared/bundle";

const here = new URL(".", import.meta.url).pathname;
const outdir = process.argv[2] === undefined ? join(here, "dist") : resolve(process.argv[2]);
const modules = join(outdir, "node_modules");
// Resolved from the workspaces that depend on them, as the emulators themselves resolve them.
const firestoreRequire = createRequire(join(here, "firestore/package.json"));
const pubsubRequire = createRequire(join(here, "pubsub/package.json"));

/** Copies one file of an installed package into outdir/node_modules, same relative path. */
async function copyPackageFile(from: NodeJS.Require, name: string, file: string): Promise<void> {
  const source = join(dirname(from.resolve(`${name}/package.json`)), file);
  const target = join(modules, name, file);
  await mkdir(dirname(target), { recursive: true });
  await copyFile(source, target);
}

/** A package.json that only names the package: enough for Node to resolve files inside it. */
async function stubManifest(name: string, extra: Record<string, string> = {}): Promise<void> {
  await mkdir(join(modules, name), { recursive: true });
  await writeFile(join(modules, name, "package.json"), `${JSON.stringify({ name, ...extra })}\n`);
}

/**
 * The start of `npm run emulators:embedded`: Node's compile cache, then the bundle; one module and a cached
 * compile instead of type-stripping and resolving every source file at each start. Should a source be newer
 * than the bundle, it runs the sources (cli.ts) instead and says so, so an edit is never run stale.
 */
const launcher = (
  builtAtMs: number,
  sources: string[],
) => `// Written by emulators/build.ts: runs the emulators' bundle, or their sources when one is newer.
import { statSync } from "node:fs";
import { enableCompileCache } from "node:module";
enableCompileCache();
const sources = ${JSON.stringify(sources)};
const newer = sources.find((file) => (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > ${builtAtMs});
if (newer === undefined) await import("./emulators.js");
else {
  process.stderr.write(\`emulators: running the sources, \${newer} being newer than this build (npm run build makes starts faster)\n\`);
  await import(${JSON.stringify(join(here, "cli.ts"))});
}
`;

await rm(outdir, { recursive: true, force: true });
// Before esbuild reads the sources: a file saved while it builds counts as newer.
const builtAtMs = Date.now();
const { metafile } = await build({
  entryPoints: [join(here, "cli.ts")],
  outfile: join(outdir, "emulators.js"),
  metafile: true,
  ...NODE_BUNDLE,
});
// The repository's own files in the bundle (esbuild names them relative to the working directory).
const sources = Object.keys(metafile.inputs)
  .filter((input) => !input.includes("node_modules/"))
  .map((input) => resolve(input));
await writeFile(join(outdir, "cli.mjs"), launcher(builtAtMs, sources));

// What emulators/*/src/protos.ts and emulators/shared/service-definitions.ts read through a runtime
// require, which esbuild cannot follow: each client library's JSON proto bundle, and protobufjs/light as
// resolved from @grpc/proto-loader.
await stubManifest("@google-cloud/firestore");
await copyPackageFile(firestoreRequire, "@google-cloud/firestore", "build/protos/v1.json");
await stubManifest("@google-cloud/pubsub");
await copyPackageFile(pubsubRequire, "@google-cloud/pubsub", "build/protos/protos.json");
// Only resolved, never loaded: service-definitions.ts takes protobufjs from where proto-loader sits.
await stubManifest("@grpc/proto-loader", { main: "index.js" });
await writeFile(join(modules, "@grpc/proto-loader/index.js"), "// resolved for its location only\n");
const protoLoaderRequire = createRequire(firestoreRequire.resolve("@grpc/proto-loader"));
await stubManifest("protobufjs");
await build({
  entryPoints: [protoLoaderRequire.resolve("protobufjs/light")],
  outfile: join(modules, "protobufjs/light.js"),
  bundle: true,
  platform: "node",
  target: "node24",
  format: "cjs",
  legalComments: "none",
  logLevel: "warning",
});
console.log(`built ${join(outdir, "emulators.js")} and ${join(outdir, "cli.mjs")}`);

// Bundles both embedded emulators (emulators/cli.ts) for the container image: `node build.ts [outdir]`
// writes outdir/emulators.js and the few dependency files it reads at run time into outdir/node_modules,
// so the image needs no npm install. dist/ by default.
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

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(here, "cli.ts")],
  outfile: join(outdir, "emulators.js"),
  ...NODE_BUNDLE,
});

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
console.log(`built ${join(outdir, "emulators.js")}`);

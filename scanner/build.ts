// Bundles the scanner and its Pub/Sub client into one file for the container image:
// `node build.ts [outfile]`, dist/scanner.js by default.
import { resolve } from "node:path";
import { NODE_BUNDLE } from "@scan-ingest/emulator-shared/bundle";
import { build } from "esbuild";

const outfile =
  process.argv[2] === undefined
    ? new URL("./dist/scanner.js", import.meta.url).pathname
    : resolve(process.argv[2]);

await build({
  entryPoints: [new URL("./src/main.ts", import.meta.url).pathname],
  outfile,
  ...NODE_BUNDLE,
});

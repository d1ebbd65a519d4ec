// Bundles the scanner and its Pub/Sub client into one file for the container image:
// `node build.ts [outfile]`, dist/scanner.js by default.
import { resolve } from "node:path";
import { build } from "esbuild";

const outfile =
  process.argv[2] === undefined
    ? new URL("./dist/scanner.js", import.meta.url).pathname
    : resolve(process.argv[2]);

await build({
  entryPoints: [new URL("./src/main.ts", import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  legalComments: "none",
  logLevel: "warning",
  // The Google client libraries are CommonJS and use require and __dirname; give the ES module both.
  banner: {
    js: [
      'import { createRequire } from "node:module";',
      'import { fileURLToPath } from "node:url";',
      'import { dirname } from "node:path";',
      "const require = createRequire(import.meta.url);",
      "const __filename = fileURLToPath(import.meta.url);",
      "const __dirname = dirname(__filename);",
    ].join("\n"),
  },
});

// The esbuild options of the container images' single-file bundles (the emulators', the scanner's): one
// ES module for Node 24, with require and __dirname for the CommonJS Google client libraries.

// Aliased imports, since the bundled sources may import createRequire themselves.
const banner = [
  'import { createRequire as bannerCreateRequire } from "node:module";',
  'import { fileURLToPath as bannerFileURLToPath } from "node:url";',
  'import { dirname as bannerDirname } from "node:path";',
  "const require = bannerCreateRequire(import.meta.url);",
  "const __filename = bannerFileURLToPath(import.meta.url);",
  "const __dirname = bannerDirname(__filename);",
].join("\n");

/** Spread into esbuild's build() beside entryPoints and outfile. */
export const NODE_BUNDLE = {
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  legalComments: "none",
  logLevel: "warning",
  banner: { js: banner },
} as const;

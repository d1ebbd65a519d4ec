// Bundles the console's page with esbuild: console/src/main.tsx (Preact, uPlot) into console/dist/assets with
// content-hashed names, and an index.html that loads them. No CDN: everything the page needs is in dist.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { build } from "esbuild";

const here = new URL(".", import.meta.url).pathname;
export const consoleDist = join(here, "dist");

/**
 * Builds into a private directory, then moves each file into place (a rename replaces atomically): the hashed
 * assets first, index.html last, so a running console and concurrent builds never see half a build.
 */
export async function buildConsole(outDir = consoleDist): Promise<void> {
  const staging = join(outDir, `.build-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    const result = await build({
      entryPoints: [join(here, "src/main.tsx")],
      bundle: true,
      minify: true,
      sourcemap: "linked",
      format: "esm",
      target: ["chrome120", "firefox120", "safari17"],
      jsx: "automatic",
      jsxImportSource: "preact",
      outdir: staging,
      entryNames: "[name]-[hash]",
      metafile: true,
      logLevel: "silent",
    });
    const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
    const script = outputs.find((name) => name.endsWith(".js"));
    const style = outputs.find((name) => name.endsWith(".css"));
    if (script === undefined || style === undefined)
      throw new Error(`the console bundle lacks a script or a style sheet: ${outputs.join(", ")}`);
    const template = await readFile(join(here, "src/index.html"), "utf8");
    await writeFile(
      join(staging, "index.html"),
      template.replace("{{script}}", `/assets/${script}`).replace("{{style}}", `/assets/${style}`),
    );
    const assets = join(outDir, "assets");
    await mkdir(assets, { recursive: true });
    for (const name of outputs) await rename(join(staging, name), join(assets, name));
    await rename(join(staging, "index.html"), join(outDir, "index.html"));
    await removeStale(assets, new Set(outputs));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Drops assets of earlier builds, once no page loaded a minute ago can still ask for them. */
async function removeStale(assets: string, keep: Set<string>): Promise<void> {
  const cutoff = Date.now() - 60_000;
  for (const name of await readdir(assets)) {
    if (keep.has(name)) continue;
    const info = await stat(join(assets, name)).catch(() => undefined);
    if (info && info.mtimeMs < cutoff) await rm(join(assets, name), { force: true });
  }
}

if (import.meta.main) {
  await buildConsole();
  process.stdout.write(`built ${consoleDist}\n`);
}

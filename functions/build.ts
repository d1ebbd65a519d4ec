// Bundles the function for deployment: `node build.ts [outdir]` writes dist/index.js and dist/package.json.
// functions-framework stays outside the bundle: the runtime's copy must see the registration.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const here = new URL(".", import.meta.url).pathname;
const framework = "@google-cloud/functions-framework";

export interface BuildOptions {
  /** The module that registers the function; default src/index.ts (the benchmarks bundle others alike). */
  entryPoint?: string;
}

/** Build into `outdir` (functions/dist by default); returns the bundle's size in bytes. */
export async function buildFunction(
  outdir = join(here, "dist"),
  options: BuildOptions = {},
): Promise<number> {
  const manifest = JSON.parse(await readFile(join(here, "package.json"), "utf8"));
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: [options.entryPoint ?? join(here, "src/index.ts")],
    outfile: join(outdir, "index.js"),
    bundle: true,
    platform: "node",
    target: "node24",
    // CommonJS, because the Google client libraries use require and __dirname at runtime.
    format: "cjs",
    external: [framework],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "linked",
    metafile: true,
    logLevel: "warning",
  });
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
  return Object.values(result.metafile.outputs).reduce((total, output) => total + output.bytes, 0);
}

if (import.meta.main) {
  const outdir = process.argv[2] === undefined ? undefined : resolve(process.argv[2]);
  const bytes = await buildFunction(outdir);
  console.log(`built ${outdir ?? join(here, "dist")}/index.js (${(bytes / 1024).toFixed(0)} KiB)`);
}

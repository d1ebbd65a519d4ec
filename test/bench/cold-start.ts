// coldStart.*: process start -> first message stored, for the built bundle, the unbundled sources and a
// minimal bundled function; several alternating repetitions, medians.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start as startFirestore } from "@scan-ingest/emulator-firestore";
import { transform } from "esbuild";
import { buildFunction } from "@scan-ingest/functions/build";
import { DEFAULT_PROJECT } from "@scan-ingest/pipeline/defaults";
import { alternate, deliverPush, median, progress, repositoryRoot, startFramework } from "./measure.ts";
import { isProfiling } from "./profile.ts";

export interface ColdStartFigures {
  ratio: number;
  overhead: number;
  ms: number;
  /** The sources compiled file by file to JavaScript, loaded as a module graph with node_modules. */
  unbundledMs: number;
  /** The TypeScript sources as they are, type-stripped by Node at load (not a figure: slower still). */
  unbundledTypeScriptMs: number;
  minimalMs: number;
  bundleBytes: number;
  repetitions: number;
}

/** Builds a function into a fresh directory that sees the repository's node_modules, as an install would. */
export async function buildInto(prefix: string, entryPoint?: string): Promise<Build> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const bytes = await buildFunction(dir, entryPoint === undefined ? {} : { entryPoint });
  await symlink(join(repositoryRoot, "node_modules"), join(dir, "node_modules"));
  return { dir, bytes, remove: () => removeBuild(dir) };
}

export interface Build {
  dir: string;
  bytes: number;
  /** Deletes the build; kept while bench --profile runs, which reads its source maps at the end. */
  remove(): Promise<void>;
}

async function removeBuild(dir: string): Promise<void> {
  if (!isProfiling()) await rm(dir, { recursive: true, force: true });
}

/**
 * functions/src compiled file by file to JavaScript (no bundling), as tsc would emit it: the same module
 * graph, loading node_modules as they are.
 */
async function compileSources(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bench-unbundled-"));
  const sources = join(repositoryRoot, "functions/src");
  await mkdir(join(dir, "src"));
  // Recursive: functions/src/api holds scansApi's modules.
  for (const file of await readdir(sources, { recursive: true })) {
    if (!file.endsWith(".ts")) {
      await mkdir(join(dir, "src", file), { recursive: true });
      continue;
    }
    const { code } = await transform(await readFile(join(sources, file), "utf8"), {
      loader: "ts",
      format: "esm",
      target: "node24",
    });
    const javascript = code.replace(/(from\s+"\.[^"]*)\.ts"/g, '$1.js"');
    await writeFile(join(dir, "src", file.replace(/\.ts$/, ".js")), javascript);
  }
  await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module", main: "src/index.js" }));
  await symlink(join(repositoryRoot, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** The built bundle, the minimal function and the compiled sources, each in a directory of its own. */
export interface Builds {
  dist: { dir: string; bytes: number };
  minimal: { dir: string; bytes: number };
  unbundled: string;
  remove(): Promise<void>;
}

export async function buildBoth(): Promise<Builds> {
  progress("building functions/dist and the minimal function (functions/build.ts)");
  const dist = await buildInto("bench-dist-");
  const minimal = await buildInto("bench-minimal-", join(repositoryRoot, "test/bench/minimal-function.ts"));
  const unbundled = await compileSources();
  return {
    dist,
    minimal,
    unbundled,
    async remove() {
      for (const dir of [dist.dir, minimal.dir, unbundled]) await removeBuild(dir);
    },
  };
}

export async function benchColdStart(options: {
  builds: Builds;
  repetitions: number;
}): Promise<ColdStartFigures> {
  const { dist, minimal, unbundled } = options.builds;
  const firestore = await startFirestore({ port: 0 });
  const env = { FIRESTORE_EMULATOR_HOST: firestore.host, GOOGLE_CLOUD_PROJECT: DEFAULT_PROJECT };
  let delivery = 0;
  /** Milliseconds from spawning the server to the answer to its first message (stored before it answers). */
  const coldStart = async (source: string) => {
    const started = performance.now();
    const server = await startFramework({ source, env });
    delivery++;
    const data = JSON.stringify({
      ip: "10.9.9.9",
      port: delivery,
      service: "COLD",
      timestamp: Math.floor(Date.now() / 1000),
      data_version: 2,
      data: { response_str: "first message" },
    });
    const status = await deliverPush(server.url, data, `cold-${delivery}`);
    const elapsed = performance.now() - started;
    await server.stop();
    if (status !== 204) throw new Error(`first message to ${source} answered ${status}:\n${server.output()}`);
    return elapsed;
  };
  try {
    progress(`cold start: ${options.repetitions} alternating repetitions of 4 variants`);
    const times = await alternate(options.repetitions, {
      dist: () => coldStart(dist.dir),
      unbundled: () => coldStart(unbundled),
      minimal: () => coldStart(minimal.dir),
      typescript: () => coldStart(join(repositoryRoot, "functions/src/index.ts")),
    });
    const ms = median(times.dist);
    const unbundledMs = median(times.unbundled);
    const minimalMs = median(times.minimal);
    return {
      ratio: ms / unbundledMs,
      overhead: ms / minimalMs,
      ms,
      unbundledMs,
      unbundledTypeScriptMs: median(times.typescript),
      minimalMs,
      bundleBytes: dist.bytes,
      repetitions: options.repetitions,
    };
  } finally {
    await firestore.stop();
  }
}

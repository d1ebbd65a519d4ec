// functions/dist, what the function servers load: built here first, or checked to be there.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { stop as stopEsbuild } from "esbuild";
import { buildFunction, distDirectory } from "@scan-ingest/functions/build";
import { PipelineStartError } from "./start-error.ts";

export { distDirectory };

/** Builds into a private directory, then moves each file into functions/dist (a rename replaces atomically). */
export async function buildDist(): Promise<void> {
  const staging = join(distDirectory, `.build-${process.pid}-${randomUUID().slice(0, 8)}`);
  try {
    await buildFunction(staging);
    // esbuild keeps a service process; ended here, it is reaped by us instead of outliving npm start.
    await stopEsbuild();
    for (const file of await readdir(staging)) await rename(join(staging, file), join(distDirectory, file));
  } catch (error) {
    throw new PipelineStartError(
      "build",
      `building the function (functions/build.ts) failed: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Rejects, saying what to run, when functions/dist holds no build. */
export async function assertBuilt(): Promise<void> {
  if (!existsSync(join(distDirectory, "index.js")))
    throw new PipelineStartError(
      "build",
      `${distDirectory}/index.js is missing: run npm run build, or build first`,
    );
}

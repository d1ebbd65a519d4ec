// The capacity group: the capacity model (capacity-model.ts) on the index configuration Firebase and Terraform
// deploy (firebase.json's firestore.indexes), at the CPU per message measured in this run, and on the index file
// of the design before the shards, for the before-and-after of docs/capacity.md.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadSettings } from "../../cli/deploy/plan.ts";
import { capacityModel, type CapacityModel, type Measured, type Scaling } from "./capacity-model.ts";
import { buildInto } from "./cold-start.ts";
import { benchConcurrency } from "./concurrency.ts";
import { loadPrices } from "./cost.ts";
import type { DeploymentFigures } from "./deployment.ts";
import {
  indexCeilings,
  SCANNER_TRAFFIC,
  type IndexCeiling,
  type IndexConfiguration,
  type Traffic,
} from "./index-ceilings.ts";
import { repositoryRoot } from "./measure.ts";
import { benchOps } from "./ops.ts";

/** The last commit before every time-ordered index started with ip or shard (65a558c). */
export const BEFORE_SHARDS = "174c19e";

export interface CapacityFigures {
  model: CapacityModel;
  /** The same model on the index file of BEFORE_SHARDS, or why it could not be read. */
  before: CapacityModel | { notRead: string };
  measured: Measured & { concurrency: number; from: string };
  scaling: Scaling;
  traffic: Traffic;
  indexFile: string;
}

/** The index file firebase.json deploys (Terraform reads the same file). */
function deployedIndexFile(): string {
  const firebase = JSON.parse(readFileSync(join(repositoryRoot, "firebase.json"), "utf8")) as {
    firestore: { indexes: string };
  };
  return firebase.firestore.indexes;
}

function readDeployed(indexFile: string): IndexConfiguration {
  return JSON.parse(readFileSync(join(repositoryRoot, indexFile), "utf8")) as IndexConfiguration;
}

/** The deployed indexes that have a ceiling under the stated traffic (no measurement needed), lowest first. */
export function deployedIndexCeilings(): IndexCeiling[] {
  return indexCeilings(readDeployed(deployedIndexFile()), SCANNER_TRAFFIC).filter((index) =>
    Number.isFinite(index.scansPerSec),
  );
}

function indexFileBefore(path: string): IndexConfiguration | { notRead: string } {
  try {
    const text = execFileSync("git", ["show", `${BEFORE_SHARDS}:${path}`], {
      cwd: repositoryRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return JSON.parse(text) as IndexConfiguration;
  } catch {
    return { notRead: `commit ${BEFORE_SHARDS} is not in this clone` };
  }
}

/**
 * The deployed concurrency's CPU per message and the operations per fresh scan: from this run's deployment group
 * when it ran, else measured here on a smaller sample at that concurrency alone.
 */
async function measure(
  options: { messages: number; rounds: number; opsMessages: number },
  concurrency: number,
  deployment: DeploymentFigures | undefined,
): Promise<CapacityFigures["measured"]> {
  if (deployment !== undefined) {
    const { cpuMsPerMessage, readsPerMessage, writesPerMessage } = deployment.cost.inputs;
    return {
      cpuMsPerMessage,
      readsPerMessage,
      writesPerMessage,
      concurrency: deployment.pricedAt,
      from: "deployment group",
    };
  }
  const build = await buildInto("bench-capacity-");
  try {
    const { points } = await benchConcurrency({
      dist: build.dir,
      messages: options.messages,
      rounds: options.rounds,
      concurrencies: [concurrency],
    });
    const ops = await benchOps({ dist: build.dir, messages: options.opsMessages });
    return {
      cpuMsPerMessage: points[0]!.cpuMsPerMessage,
      readsPerMessage: ops.fresh.reads,
      writesPerMessage: ops.fresh.writes,
      concurrency,
      from: "capacity group",
    };
  } finally {
    await build.remove();
  }
}

/** Runs the model on the deployed indexes and on BEFORE_SHARDS's, at this run's measured CPU per message. */
export async function benchCapacity(options: {
  messages: number;
  rounds: number;
  opsMessages: number;
  deployment?: DeploymentFigures | undefined;
}): Promise<CapacityFigures> {
  const settings = loadSettings();
  const measured = await measure(options, settings.concurrency, options.deployment);
  const scaling: Scaling = {
    maxInstances: settings.maxInstances,
    targetCpuUtilization: loadPrices().cloudRunTargetCpuUtilization.value,
  };
  const indexFile = deployedIndexFile();
  const deployed = readDeployed(indexFile);
  const before = indexFileBefore(indexFile);
  return {
    model: capacityModel(deployed, measured, scaling, SCANNER_TRAFFIC),
    before: "notRead" in before ? before : capacityModel(before, measured, scaling, SCANNER_TRAFFIC),
    measured,
    scaling,
    traffic: SCANNER_TRAFFIC,
    indexFile,
  };
}

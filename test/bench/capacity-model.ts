// The capacity model (docs/capacity.md): every index's ceiling beside the limits that are not ours (Cloud Run's
// max instances at the measured CPU per message, Pub/Sub's publish quota), the design's first ceiling with its
// cause, and what is a wait rather than a ceiling (the 500/50/5 ramp of a cold database). Pure.
import { SHARDS_PER_QUERY } from "@scan-ingest/functions/shard";
import {
  hotIndexes,
  indexCeilings,
  SCANNER_TRAFFIC,
  SEQUENTIAL_RANGE_WRITES_PER_SEC,
  type IndexCeiling,
  type IndexConfiguration,
  type Traffic,
} from "./index-ceilings.ts";

/** The stored scans/s issue 22 asks the design to hold before any ceiling of its own. */
export const TARGET_SCANS_PER_SEC = 20_000;

/** Pub/Sub's publisher throughput quota in a large region (us-central1) — https://cloud.google.com/pubsub/quotas. */
export const PUBSUB_PUBLISH_KB_PER_MIN = 12_000_000;
/** The least one publish request counts against that quota (same page). */
export const PUBSUB_MIN_REQUEST_KB = 1;

/** A new collection's traffic: start at 500 operations/s, grow 50 % every 5 minutes (the 500/50/5 rule). */
export const RAMP = { startOpsPerSec: 500, growth: 1.5, stepMinutes: 5 } as const;

/** What the deployment bench measures per message (test/bench/deployment.ts). */
export interface Measured {
  cpuMsPerMessage: number;
  readsPerMessage: number;
  writesPerMessage: number;
}

/** functions/deploy.json's maxInstances and the autoscaler's CPU target (infra/prices.json). */
export interface Scaling {
  maxInstances: number;
  targetCpuUtilization: number;
}

/** A rate the design cannot pass, and why. */
export interface Ceiling {
  name: string;
  scansPerSec: number;
  cause: string;
}

/** How long a cold database takes to reach a rate under the 500/50/5 rule. */
export interface RampStep {
  scansPerSec: number;
  opsPerSec: number;
  steps: number;
  minutes: number;
}

export interface CapacityModel {
  /** The first ceiling's rate. */
  ceilingScansPerSec: number;
  firstCeiling: Ceiling;
  /** The ceilings that are not indexes, lowest first. */
  limits: Ceiling[];
  /** Every index, lowest ceiling first. */
  indexes: IndexCeiling[];
  /** The indexes whose ceiling is below every limit: each would be the design's own ceiling. */
  hot: IndexCeiling[];
  /** The lowest index ceiling ÷ the lowest limit: below 1, an index of ours is the first ceiling. */
  indexMargin: number;
  /** The fewest shards (whole `in` queries of SHARDS_PER_QUERY) that keep every sharded index above the limits. */
  shardsNeeded: number;
  ramp: RampStep[];
  /** Limits that are not ceilings for a scanner, and why. */
  notCeilings: string[];
}

const whole = (value: number) => Math.round(value).toLocaleString("en-US");

/** The ceilings that are not indexes: instances × what one does at its CPU target, and the publish quota. */
export function limitsOf(measured: Measured, scaling: Scaling): Ceiling[] {
  const perInstance = (scaling.targetCpuUtilization * 1000) / measured.cpuMsPerMessage;
  const publishPerSec = PUBSUB_PUBLISH_KB_PER_MIN / 60 / PUBSUB_MIN_REQUEST_KB;
  return [
    {
      name: "Cloud Run max instances",
      scansPerSec: scaling.maxInstances * perInstance,
      cause:
        `functions/deploy.json's maxInstances ${scaling.maxInstances} × ${whole(perInstance)} scans/s per instance ` +
        `(${scaling.targetCpuUtilization * 100} % CPU ÷ ${measured.cpuMsPerMessage.toFixed(2)} ms per message)`,
    },
    {
      name: "Pub/Sub publish quota",
      scansPerSec: publishPerSec,
      cause: `${whole(PUBSUB_PUBLISH_KB_PER_MIN / 60 / 1000)} MB/s per large region at ≥ ${PUBSUB_MIN_REQUEST_KB} kB a request, one request per scan (the scanner batches, so fewer)`,
    },
  ].sort((a, b) => a.scansPerSec - b.scansPerSec);
}

/** The 500/50/5 steps (and minutes) a cold database needs before it takes `scansPerSec`. */
export function rampTo(scansPerSec: number, measured: Measured): RampStep {
  const opsPerSec = scansPerSec * (measured.readsPerMessage + measured.writesPerMessage);
  const growth = Math.log(opsPerSec / RAMP.startOpsPerSec) / Math.log(RAMP.growth);
  // The epsilon keeps an exact power of 1.5 from rounding up to one more step.
  const steps = opsPerSec <= RAMP.startOpsPerSec ? 0 : Math.ceil(growth - 1e-9);
  return { scansPerSec, opsPerSec, steps, minutes: steps * RAMP.stepMinutes };
}

/**
 * A sharded index's hottest range takes writes in proportion to 1/shards, so the shards that lift its ceiling to
 * `scansPerSec` are its shards × scansPerSec ÷ its ceiling, rounded up to whole `in` queries of the listings.
 */
export function shardsNeeded(indexes: readonly IndexCeiling[], scansPerSec: number): number {
  const needed = indexes
    .filter((index) => index.shards > 1 && Number.isFinite(index.scansPerSec))
    .map((index) => (index.shards * scansPerSec) / index.scansPerSec);
  return Math.ceil(Math.max(1, ...needed) / SHARDS_PER_QUERY) * SHARDS_PER_QUERY;
}

/** The model: the configuration's index ceilings, the limits at the measured CPU, the first ceiling, the ramp. */
export function capacityModel(
  configuration: IndexConfiguration,
  measured: Measured,
  scaling: Scaling,
  traffic: Traffic = SCANNER_TRAFFIC,
): CapacityModel {
  const indexes = indexCeilings(configuration, traffic);
  const limits = limitsOf(measured, scaling);
  const asCeiling = (index: IndexCeiling): Ceiling => ({
    name: index.name,
    scansPerSec: index.scansPerSec,
    cause: `${index.hottestRange}, at ${SEQUENTIAL_RANGE_WRITES_PER_SEC} writes/s into one range of sequential entries`,
  });
  // A limit comes first on a tie: an index is only the cause when it is strictly lower.
  const firstCeiling = [...limits, ...indexes.map(asCeiling)].reduce((lowest, ceiling) =>
    ceiling.scansPerSec < lowest.scansPerSec ? ceiling : lowest,
  );
  const rates = [1_000, 10_000, TARGET_SCANS_PER_SEC, firstCeiling.scansPerSec].filter(
    (rate) => rate <= firstCeiling.scansPerSec,
  );
  return {
    ceilingScansPerSec: firstCeiling.scansPerSec,
    firstCeiling,
    limits,
    indexes,
    hot: hotIndexes(indexes, limits[0]!.scansPerSec),
    indexMargin: indexes[0]!.scansPerSec / limits[0]!.scansPerSec,
    shardsNeeded: shardsNeeded(indexes, limits[0]!.scansPerSec),
    ramp: rates.map((rate) => rampTo(rate, measured)),
    notCeilings: [
      "Firestore's ~1 sustained write/s per document (https://cloud.google.com/firestore/docs/best-practices, " +
        "updates to a single document): one document is one ip:port:service, rescanned minutes to days apart",
      "Firestore's 500/50/5 ramp (https://cloud.google.com/firestore/docs/best-practices, ramping up traffic): " +
        "a cold database reaches the ceiling in time (the ramp), faster traffic shows as latency meanwhile",
      "a write limit per database: Firestore lists none (https://cloud.google.com/firestore/quotas)",
    ],
  };
}

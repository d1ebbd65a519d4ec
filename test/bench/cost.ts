// cost.*: dollars per million scans at the chosen deployment (functions/deploy.json), from this run's measured
// CPU per message and Firestore operations per message and the cited prices (infra/prices.json), against the
// floor: one invocation, one document read and one write, with no compute at all.
import { readFileSync } from "node:fs";
import type { DeploySettings } from "../../cli/deploy/plan.ts";

interface Price {
  usd: number;
  source: string;
}

/** infra/prices.json. */
export interface Prices {
  retrieved: string;
  cloudRunRequestsPerMillion: Price;
  cloudRunVcpuSecond: Price;
  cloudRunGibSecond: Price;
  firestoreReadsPer100k: Price;
  firestoreWritesPer100k: Price;
  cloudRunTargetCpuUtilization: { value: number; source: string };
}

export interface CostFigures {
  perMillionUsd: number;
  floorPerMillionUsd: number;
  /** perMillion ÷ floor: 1 would be a function that costs nothing to run. */
  ratio: number;
  computePerMillionUsd: number;
  inputs: {
    cpuMsPerMessage: number;
    readsPerMessage: number;
    writesPerMessage: number;
    vcpu: number;
    memoryGiB: number;
  };
}

export function loadPrices(): Prices {
  return JSON.parse(readFileSync(new URL("../../infra/prices.json", import.meta.url), "utf8")) as Prices;
}

/** A Cloud Run memory size ("512Mi", "1Gi") in GiB; throws naming the value it cannot read. */
export function gibibytes(memory: string): number {
  const match = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(memory);
  if (match === null) throw new Error(`memory "${memory}" is not a number followed by Mi or Gi`);
  return Number(match[1]) / (match[2] === "Mi" ? 1024 : 1);
}

/**
 * Cost per million scans. Request-based billing charges an instance's vCPU and memory while it serves
 * requests; with many requests in flight the instance is busy about CPU time ÷ the autoscaler's target
 * utilization per message, so that is the billed instance time.
 */
export function costPerMillion(
  measured: { cpuMsPerMessage: number; readsPerMessage: number; writesPerMessage: number },
  settings: Pick<DeploySettings, "cpu" | "memory">,
  prices: Prices,
): CostFigures {
  const vcpu = Number(settings.cpu);
  if (!(vcpu > 0)) throw new Error(`cpu "${settings.cpu}" is not a positive number of vCPUs`);
  const memoryGiB = gibibytes(settings.memory);
  const instanceSeconds = (1e6 * measured.cpuMsPerMessage) / 1000 / prices.cloudRunTargetCpuUtilization.value;
  const computePerMillionUsd =
    instanceSeconds * (vcpu * prices.cloudRunVcpuSecond.usd + memoryGiB * prices.cloudRunGibSecond.usd);
  const firestore = (reads: number, writes: number) =>
    ((reads * 1e6) / 1e5) * prices.firestoreReadsPer100k.usd +
    ((writes * 1e6) / 1e5) * prices.firestoreWritesPer100k.usd;
  const perMillionUsd =
    prices.cloudRunRequestsPerMillion.usd +
    computePerMillionUsd +
    firestore(measured.readsPerMessage, measured.writesPerMessage);
  const floorPerMillionUsd = prices.cloudRunRequestsPerMillion.usd + firestore(1, 1);
  return {
    perMillionUsd,
    floorPerMillionUsd,
    ratio: perMillionUsd / floorPerMillionUsd,
    computePerMillionUsd,
    inputs: { ...measured, vcpu, memoryGiB },
  };
}

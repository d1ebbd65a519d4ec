// The deployment group: ingestScan's CPU per message and latency at each concurrency, its Firestore
// operations per fresh scan, and from those the cost per million scans at functions/deploy.json's sizing.
import { loadSettings } from "../../cli/deploy/plan.ts";
import { buildInto } from "./cold-start.ts";
import { benchConcurrency, type ConcurrencyFigures } from "./concurrency.ts";
import { costPerMillion, loadPrices, type CostFigures } from "./cost.ts";
import { benchOps } from "./ops.ts";

export interface DeploymentFigures {
  concurrency: ConcurrencyFigures;
  cost: CostFigures;
  /** The deploy.json concurrency whose CPU per message priced the deployment. */
  pricedAt: number;
}

/** Builds the function once, measures it at every concurrency and for its operations, and prices the result. */
export async function benchDeployment(options: {
  messages: number;
  rounds: number;
  opsMessages: number;
}): Promise<DeploymentFigures> {
  const settings = loadSettings();
  const build = await buildInto("bench-deployment-");
  try {
    const concurrency = await benchConcurrency({
      dist: build.dir,
      messages: options.messages,
      rounds: options.rounds,
    });
    const ops = await benchOps({ dist: build.dir, messages: options.opsMessages });
    // Price at the deployed concurrency when it was measured, else at the highest measured one below it.
    const point =
      concurrency.points.find((candidate) => candidate.concurrency === settings.concurrency) ??
      concurrency.points.filter((candidate) => candidate.concurrency <= settings.concurrency).at(-1) ??
      concurrency.points[0]!;
    const cost = costPerMillion(
      {
        cpuMsPerMessage: point.cpuMsPerMessage,
        readsPerMessage: ops.fresh.reads,
        writesPerMessage: ops.fresh.writes,
      },
      settings,
      loadPrices(),
    );
    return { concurrency, cost, pricedAt: point.concurrency };
  } finally {
    await build.remove();
  }
}

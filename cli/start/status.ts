// What `npm start` shows: the live status line and the closing summary (as text, or one JSON object for
// scripts), as pure functions of counts.
import type { percentiles } from "@scan-ingest/console/feed";
import {
  acknowledged,
  COUNT_NAMES,
  processed as processedOf,
  type Counts,
  type InstanceTotals,
} from "@scan-ingest/pipeline";

export type { Counts } from "@scan-ingest/pipeline";
export { ZERO_COUNTS as ZERO } from "@scan-ingest/pipeline";

/** The contract's words (docs/contract.md §7); `failed` deliveries were not acknowledged and come back. */
const LABELS: ReadonlyArray<[keyof Counts, string]> = COUNT_NAMES.map((name) => [
  name,
  name === "deadLettered" ? "dead-lettered" : name,
]);

/**
 * `12s  published 1200 (100/s)  stored 800 (70/s)  ...  by instance 410/395/395`: totals, per second since
 * `previous`, and with several instances what each acknowledged so far.
 */
export function formatStatus(
  now: Counts,
  previous: Counts,
  intervalSeconds: number,
  elapsedSeconds: number,
  shares: readonly number[] = [],
): string {
  const perSecond = (name: keyof Counts) =>
    Math.round((now[name] - previous[name]) / Math.max(intervalSeconds, 1e-9));
  const parts = LABELS.map(([name, label]) => `${label} ${now[name]} (${perSecond(name)}/s)`);
  if (shares.length > 1) parts.push(`by instance ${shares.join("/")}`);
  return [`${Math.floor(elapsedSeconds)}s`, ...parts].join("  ");
}

/** The status line within `width` characters: zero rates dropped first, then the end cut. */
export function fitStatus(line: string, width: number): string {
  if (line.length <= width) return line;
  const shorter = line.replaceAll(" (0/s)", "");
  return shorter.length <= width ? shorter : shorter.slice(0, Math.max(width, 0));
}

/** Nearest-rank percentiles of a run's deliveries, as the console computes them; null for none. */
export type Percentiles = Omit<NonNullable<ReturnType<typeof percentiles>>, "windowSeconds"> | null;

export interface SummaryFacts {
  counts: Counts;
  /** Function servers. */
  instances: number;
  /** True: each server had its own subscription, so every message was to be processed `instances` times. */
  duplicateStorm: boolean;
  /** What each instance did, in instance order. */
  byInstance: readonly InstanceTotals[];
  elapsedSeconds: number;
  /** From the first to the last publish. */
  publishSeconds: number;
  /** From the first publish to the last outcome. */
  processSeconds: number;
  publishErrors: number;
  /** The function's time per acknowledged delivery, and publish → acknowledged. */
  latency: { functionMs: Percentiles; publishToAcknowledgedMs: Percentiles };
  /** Messages still unprocessed when the pipeline stopped, when known. */
  left?: string;
}

/** Deliveries each message is due: one per push subscription. */
export function subscriptionsOf(facts: Pick<SummaryFacts, "instances" | "duplicateStorm">): number {
  return facts.duplicateStorm ? facts.instances : 1;
}

const perSecond = (count: number, seconds: number) => Math.round(count / Math.max(seconds, 1e-9));

/** The closing summary, one count per line, with each instance's share and the rates a benchmark reads. */
export function formatSummary(facts: SummaryFacts): string {
  const { counts, instances } = facts;
  const processed = processedOf(counts);
  const subscriptions = subscriptionsOf(facts);
  const expected = counts.published * subscriptions;
  const rate = (count: number, seconds: number) => `${perSecond(count, seconds)}/s`;
  const row = (label: string, value: number, note = "") =>
    `  ${label.padEnd(14)}${String(value).padStart(9)}${note === "" ? "" : `  ${note}`}`;
  const how = facts.duplicateStorm
    ? `, a duplicate storm: ${subscriptions} subscriptions`
    : instances > 1
      ? " sharing one subscription"
      : "";
  const lines = [
    `summary: ${facts.elapsedSeconds.toFixed(1)} s, ${instances} function instance${instances === 1 ? "" : "s"}${how}`,
    row("published", counts.published, `${rate(counts.published, facts.publishSeconds)} while publishing`),
    ...LABELS.slice(1).map(([name, label]) => row(label, counts[name])),
    row(
      "processed",
      processed,
      `of ${expected} (${subscriptions === 1 ? "published" : `${subscriptions} × published`}), ` +
        `${rate(processed, facts.processSeconds)} end to end`,
    ),
  ];
  if (instances > 1) {
    const all = facts.byInstance.reduce((sum, each) => sum + acknowledged(each), 0);
    for (const each of facts.byInstance) {
      const share = acknowledged(each);
      const percent = all === 0 ? 0 : Math.round((share / all) * 100);
      lines.push(row(`instance ${each.instance}`, share, `acknowledged, ${percent} %`));
    }
  }
  const { functionMs, publishToAcknowledgedMs } = facts.latency;
  if (functionMs !== null) lines.push(`  function time  ${percentileText(functionMs)}`);
  if (publishToAcknowledgedMs !== null)
    lines.push(`  publish → ack  ${percentileText(publishToAcknowledgedMs)}`);
  if (facts.publishErrors > 0) lines.push(row("publish errors", facts.publishErrors));
  if (facts.left !== undefined) lines.push(`  not processed: ${facts.left}`);
  return `${lines.join("\n")}\n`;
}

function percentileText({ p50, p99 }: NonNullable<Percentiles>): string {
  return `p50 ${Math.round(p50)} ms, p99 ${Math.round(p99)} ms`;
}

/** The closing summary for scripts and CI (npm start -- --json): one object, the same facts as formatSummary. */
export function summaryJson(facts: SummaryFacts) {
  const processed = processedOf(facts.counts);
  return {
    elapsedSeconds: Math.round(facts.elapsedSeconds * 10) / 10,
    instances: facts.instances,
    duplicateStorm: facts.duplicateStorm,
    subscriptions: subscriptionsOf(facts),
    counts: facts.counts,
    processed,
    expected: facts.counts.published * subscriptionsOf(facts),
    byInstance: facts.byInstance.map((each) => ({ ...each, acknowledged: acknowledged(each) })),
    rates: {
      publishedPerSecond: perSecond(facts.counts.published, facts.publishSeconds),
      processedPerSecond: perSecond(processed, facts.processSeconds),
    },
    latencyMs: {
      function: facts.latency.functionMs,
      publishToAcknowledged: facts.latency.publishToAcknowledgedMs,
    },
    publishErrors: facts.publishErrors,
    notProcessed: facts.left ?? null,
  };
}

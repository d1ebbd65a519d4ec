// What `npm start` shows: the live status line and the closing summary, as pure functions of counts.
import { COUNT_NAMES, processed as processedOf, type Counts } from "@scan-ingest/pipeline";

export type { Counts } from "@scan-ingest/pipeline";
export { ZERO_COUNTS as ZERO } from "@scan-ingest/pipeline";

/** The contract's words (docs/contract.md §7); `failed` deliveries were not acknowledged and come back. */
const LABELS: ReadonlyArray<[keyof Counts, string]> = COUNT_NAMES.map((name) => [
  name,
  name === "deadLettered" ? "dead-lettered" : name,
]);

/** `12s  published 1200 (100/s)  stored 800 (70/s)  ...`: totals, and per second since `previous`. */
export function formatStatus(
  now: Counts,
  previous: Counts,
  intervalSeconds: number,
  elapsedSeconds: number,
): string {
  const perSecond = (name: keyof Counts) =>
    Math.round((now[name] - previous[name]) / Math.max(intervalSeconds, 1e-9));
  const parts = LABELS.map(([name, label]) => `${label} ${now[name]} (${perSecond(name)}/s)`);
  return [`${Math.floor(elapsedSeconds)}s`, ...parts].join("  ");
}

/** The status line within `width` characters: zero rates dropped first, then the end cut. */
export function fitStatus(line: string, width: number): string {
  if (line.length <= width) return line;
  const shorter = line.replaceAll(" (0/s)", "");
  return shorter.length <= width ? shorter : shorter.slice(0, Math.max(width, 0));
}

export interface SummaryFacts {
  counts: Counts;
  instances: number;
  elapsedSeconds: number;
  /** From the first to the last publish. */
  publishSeconds: number;
  /** From the first publish to the last outcome. */
  processSeconds: number;
  publishErrors: number;
  /** Messages still unprocessed when the pipeline stopped, when known. */
  left?: string;
}

/** The closing summary, one count per line, with the rates a benchmark reads. */
export function formatSummary(facts: SummaryFacts): string {
  const { counts, instances } = facts;
  const processed = processedOf(counts);
  const expected = counts.published * instances;
  const rate = (count: number, seconds: number) => `${Math.round(count / Math.max(seconds, 1e-9))}/s`;
  const row = (label: string, value: number, note = "") =>
    `  ${label.padEnd(14)}${String(value).padStart(9)}${note === "" ? "" : `  ${note}`}`;
  const lines = [
    `summary: ${facts.elapsedSeconds.toFixed(1)} s, ${instances} function instance${instances === 1 ? "" : "s"}`,
    row("published", counts.published, `${rate(counts.published, facts.publishSeconds)} while publishing`),
    ...LABELS.slice(1).map(([name, label]) => row(label, counts[name])),
    row(
      "processed",
      processed,
      `of ${expected} (${instances} × published), ${rate(processed, facts.processSeconds)} end to end`,
    ),
  ];
  if (facts.publishErrors > 0) lines.push(row("publish errors", facts.publishErrors));
  if (facts.left !== undefined) lines.push(`  not processed: ${facts.left}`);
  return `${lines.join("\n")}\n`;
}

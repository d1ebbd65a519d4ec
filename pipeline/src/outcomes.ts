// What the function servers report: one JSON log line per delivery (docs/contract.md §7), read back here,
// and the one vocabulary every count uses — the log, npm start's status line and summary, the console, the
// tests and the benchmarks: the contract's outcome words, plus what was published and what was dead-lettered.
// The outcome words are the function's own (functions/src/outcomes.ts).
import { OUTCOMES, type Outcome } from "@scan-ingest/functions/outcomes";

/** Deliveries so far, by outcome, and the messages the dead-letter topic received. */
export type Totals = Record<Outcome | "deadLettered", number>;

/** One function instance's deliveries by outcome: its share of the work. */
export type InstanceTotals = Record<Outcome, number> & { instance: number };

/** With what was published: what npm start and the console show, in this order. */
export type Counts = Totals & { published: number };
export const COUNT_NAMES: ReadonlyArray<keyof Counts> = ["published", ...OUTCOMES, "deadLettered"];

export const ZERO_COUNTS: Readonly<Counts> = Object.freeze({
  published: 0,
  stored: 0,
  stale: 0,
  duplicate: 0,
  rejected: 0,
  failed: 0,
  deadLettered: 0,
});

/** Deliveries acknowledged: stored, stale, duplicate or rejected (by all instances, or by one). */
export function acknowledged(totals: Record<Outcome, number>): number {
  return totals.stored + totals.stale + totals.duplicate + totals.rejected;
}

/**
 * Deliveries done with for good — acknowledged or dead-lettered — the one sum compared with subscriptions ×
 * published everywhere ("processed"). A failed delivery is not done: it comes back.
 */
export function processed(totals: Totals): number {
  return acknowledged(totals) + totals.deadLettered;
}

/** What happened to one delivery, from the function's log line (docs/contract.md §7). */
export interface OutcomeEvent {
  /** 1-based instance number. */
  instance: number;
  /** `failed` means not acknowledged: Pub/Sub redelivers it. */
  outcome: Outcome;
  messageId?: string;
  key?: string;
  reason?: string;
  /** On `failed`: whether a redelivery may cure it, and for a permanent one what to fix. */
  failure?: "transient" | "permanent";
  fix?: string;
  latencyMs: number;
  /** Publish → processed (docs/contract.md §7); absent when the message had no publish time. */
  lagMs?: number;
  /** Date.now() when the line arrived. */
  at: number;
}

const outcomeNames: ReadonlySet<string> = new Set(OUTCOMES);

/** The outcome a function log line reports, or undefined for any other line. */
export function parseOutcomeLine(text: string): Omit<OutcomeEvent, "instance" | "at"> | undefined {
  if (!text.startsWith("{")) return undefined;
  let entry: unknown;
  try {
    entry = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof entry !== "object" || entry === null) return undefined;
  const fields = entry as Record<string, unknown>;
  if (typeof fields.outcome !== "string" || !outcomeNames.has(fields.outcome)) return undefined;
  const event: Omit<OutcomeEvent, "instance" | "at"> = {
    outcome: fields.outcome as Outcome,
    latencyMs: typeof fields.latencyMs === "number" ? fields.latencyMs : 0,
  };
  if (typeof fields.messageId === "string") event.messageId = fields.messageId;
  if (typeof fields.key === "string") event.key = fields.key;
  if (typeof fields.reason === "string") event.reason = fields.reason;
  if (fields.failure === "transient" || fields.failure === "permanent") event.failure = fields.failure;
  if (typeof fields.fix === "string") event.fix = fields.fix;
  if (typeof fields.lagMs === "number") event.lagMs = fields.lagMs;
  return event;
}

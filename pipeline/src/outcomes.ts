// What the function servers report: one JSON log line per delivery (docs/contract.md §7), read back here.

/** What happened to one delivery, from the function's log line (docs/contract.md §7). */
export interface OutcomeEvent {
  /** 1-based instance number. */
  instance: number;
  /** `failed` means not acknowledged: Pub/Sub redelivers it. */
  outcome: "stored" | "stale" | "duplicate" | "rejected" | "failed";
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

const OUTCOMES: ReadonlySet<string> = new Set(["stored", "stale", "duplicate", "rejected", "failed"]);

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
  if (typeof fields.outcome !== "string" || !OUTCOMES.has(fields.outcome)) return undefined;
  const event: Omit<OutcomeEvent, "instance" | "at"> = {
    outcome: fields.outcome as OutcomeEvent["outcome"],
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

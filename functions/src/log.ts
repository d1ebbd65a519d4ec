// Logging (docs/contract.md §7): one JSON line per message on stdout, with Cloud Logging's severity.

import type { Outcome } from "./outcomes.ts";

export type Severity = "INFO" | "WARNING" | "ERROR";

export interface MessageLog {
  severity: Severity;
  message: string;
  outcome: Outcome;
  key?: string;
  messageId?: string;
  reason?: string;
  latencyMs: number;
  /** Publish to this outcome, from the message's publishTime: the ingest lag a metric is built on. */
  lagMs?: number;
  /** On `failed`: whether a redelivery may cure it (functions/src/failures.ts). */
  failure?: "transient" | "permanent";
  /** On a permanent failure: what to fix. */
  fix?: string;
  error?: string;
}

export type Logger = (entry: MessageLog) => void;

/** Writes each entry as one JSON line to stdout, where Cloud Run's agent parses it. */
export const logToStdout: Logger = (entry) => {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
};

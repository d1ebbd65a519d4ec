// What the console server sends the page about the pipeline: plain JSON types, shared by the server (feed.ts)
// and the page (src/), with no Node or DOM types in them.

import type { Counts } from "@scan-ingest/pipeline/outcomes";

export { COUNT_NAMES } from "@scan-ingest/pipeline/outcomes";
export type { Counts };

/** A dead-lettered message as the dead-letter subscription holds it. */
export interface DeadLetterView {
  messageId: string;
  /** The subscription that gave up on it (CloudPubSubDeadLetterSourceSubscription). */
  subscription: string;
  deliveryAttempts: number;
  publishTime?: string;
  size: number;
  /** The data as text when it is UTF-8, else absent and `dataBase64` is set. */
  data?: string;
  dataBase64?: string;
}

export interface SubscriptionView {
  name: string;
  endpoint: string;
  acknowledged: number;
  deadLettered: number;
  /** Published minus acknowledged minus dead-lettered: what is queued or being redelivered. */
  backlog: number;
}

/** One function instance and what it acknowledged: its share of the deliveries. */
export interface InstanceView {
  /** 1-based. */
  index: number;
  url: string;
  /** The push subscription that feeds it: the same for all, except in a duplicate storm. */
  subscription: string;
  acknowledged: number;
  /** Deliveries it failed (redelivered by Pub/Sub, to it or another instance). */
  failed: number;
}

export interface RatePoint {
  /** Milliseconds since the epoch. */
  at: number;
  /** Per second over the sample interval ending at `at`. */
  rates: Counts;
}

export interface PipelineSnapshot {
  at: number;
  startedAt: number;
  emulators: string;
  totals: Counts;
  /** Per second over the last few seconds. */
  rates: Counts;
  /** Publish → stored over the last `windowSeconds`; null when nothing was stored then. */
  latency: { p50: number; p99: number; count: number; windowSeconds: number } | null;
  topics: Array<{ name: string; subscriptions: SubscriptionView[] }>;
  /** The function instances in order, each with its share. */
  instances: InstanceView[];
  /** The newest first, at most MAX_DEAD_LETTERS. */
  deadLetters: DeadLetterView[];
  /** Rates once per sample over the last `historySeconds`, oldest first. */
  history: RatePoint[];
}

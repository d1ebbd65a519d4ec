// The console's view of the running pipeline, built only from what the pipeline itself counts: totals every
// second, rates over the last minutes, publish → stored latency, per subscription what is still to deliver, and
// each function instance's share.
// No emulator internals: the same feed works on the embedded emulators and on Google's.
import type { Outcome } from "@scan-ingest/functions/outcomes";
import {
  COUNT_NAMES,
  type DeadLetterView,
  type InstanceView,
  type PipelineSnapshot,
  type RatePoint,
  type SubscriptionView,
  type Counts,
} from "./snapshot.ts";

export type {
  DeadLetterView,
  InstanceView,
  PipelineSnapshot,
  RatePoint,
  SubscriptionView,
  Counts,
} from "./snapshot.ts";

/** What the feed reads from the pipeline. */
export interface PipelineSource {
  /** e.g. "embedded" or "Google's". */
  emulators: string;
  topic: string;
  deadLetterTopic: string;
  deadLetterSubscription: string;
  /** The push subscriptions of the topic: one shared by every function server, or one each in a duplicate storm. */
  subscriptions: ReadonlyArray<{ name: string; endpoint: string }>;
  /** The function servers, by their 1-based index, and the subscription feeding each. */
  instances: ReadonlyArray<{ index: number; url: string; subscription: string }>;
  /** Everything counted so far; `published` by this process's scanner. */
  totals(): Counts;
  /** What the dead-letter subscription holds, left there. */
  deadLetters(): Promise<Array<{ messageId: string; data: Buffer; attributes: Record<string, string> }>>;
}

/** One acknowledged or failed delivery, as the function server logged it. */
export interface DeliveryEvent {
  /** The instance that logged it. */
  instance: number;
  outcome: Outcome;
  /** Publish → processed, from the function's log line; absent when the message had no publish time. */
  lagMs?: number;
}

export interface PipelineFeed {
  /** Records one delivery: the per-instance and per-subscription counts and the latency window. */
  delivery(event: DeliveryEvent): void;
  snapshot(): PipelineSnapshot;
  /** Called after every sample with the new snapshot; returns the unsubscribe function. */
  subscribe(listener: (snapshot: PipelineSnapshot) => void): () => void;
  stop(): void;
}

export interface FeedOptions {
  /** Default 1000. */
  sampleMs?: number;
  /** Default 600 (ten minutes). */
  historySeconds?: number;
  /** Default 60. */
  latencyWindowSeconds?: number;
  /** How often the dead-letter subscription is read; default 2000. */
  deadLetterPollMs?: number;
  now?: () => number;
}

const MAX_DEAD_LETTERS = 20;
const MAX_LAG_SAMPLES = 20_000;
const RATE_WINDOW_SAMPLES = 3;

export function createPipelineFeed(source: PipelineSource, options: FeedOptions = {}): PipelineFeed {
  const now = options.now ?? Date.now;
  const sampleMs = options.sampleMs ?? 1_000;
  const historyLength = Math.ceil(((options.historySeconds ?? 600) * 1_000) / sampleMs);
  const latencyWindowMs = (options.latencyWindowSeconds ?? 60) * 1_000;
  const startedAt = now();
  const acknowledged = new Map(source.subscriptions.map(({ name }) => [name, 0]));
  const byInstance = new Map(
    source.instances.map((instance) => [instance.index, { ...instance, acknowledged: 0, failed: 0 }]),
  );
  const lags: Array<{ at: number; ms: number }> = [];
  let samples: Array<{ at: number; totals: Counts }> = [{ at: startedAt, totals: source.totals() }];
  let history: RatePoint[] = [];
  let deadLetters: DeadLetterView[] = [];
  let deadLetteredFrom = new Map<string, number>();
  const listeners = new Set<(snapshot: PipelineSnapshot) => void>();

  const sample = () => {
    const at = now();
    const totals = source.totals();
    const previous = samples[samples.length - 1]!;
    history.push({ at, rates: ratesBetween(previous, { at, totals }) });
    samples.push({ at, totals });
    if (samples.length > RATE_WINDOW_SAMPLES + 1) samples = samples.slice(-RATE_WINDOW_SAMPLES - 1);
    if (history.length > historyLength) history = history.slice(-historyLength);
    const snapshot = feed.snapshot();
    for (const listener of listeners) listener(snapshot);
  };
  const timer = setInterval(sample, sampleMs);
  timer.unref();

  let reading = false;
  const readDeadLetters = async () => {
    if (reading) return;
    reading = true;
    try {
      const letters = await source.deadLetters();
      const from = new Map<string, number>();
      for (const letter of letters) {
        const name = shortName(letter.attributes.CloudPubSubDeadLetterSourceSubscription ?? "");
        from.set(name, (from.get(name) ?? 0) + 1);
      }
      deadLetteredFrom = from;
      // Pull order is not arrival order (each read releases its leases): newest first by publish time.
      deadLetters = letters.map(viewOf).sort(newestFirst).slice(0, MAX_DEAD_LETTERS);
    } catch {
      // The next poll tries again; the totals still count dead letters.
    } finally {
      reading = false;
    }
  };
  const deadLetterTimer = setInterval(() => void readDeadLetters(), options.deadLetterPollMs ?? 2_000);
  deadLetterTimer.unref();
  void readDeadLetters();

  const feed: PipelineFeed = {
    delivery(event) {
      const instance = byInstance.get(event.instance);
      if (instance === undefined) return;
      if (event.outcome === "failed") instance.failed++;
      else {
        instance.acknowledged++;
        acknowledged.set(instance.subscription, (acknowledged.get(instance.subscription) ?? 0) + 1);
      }
      if (event.outcome === "stored" && event.lagMs !== undefined) {
        lags.push({ at: now(), ms: event.lagMs });
        if (lags.length > MAX_LAG_SAMPLES) lags.splice(0, lags.length - MAX_LAG_SAMPLES);
      }
    },
    snapshot() {
      const at = now();
      const totals = source.totals();
      const oldest = samples[0]!;
      const rates = ratesBetween(oldest, { at, totals });
      while (lags.length > 0 && lags[0]!.at < at - latencyWindowMs) lags.shift();
      const subscriptions = source.subscriptions.map(({ name, endpoint }): SubscriptionView => {
        const done = acknowledged.get(name) ?? 0;
        const dead = deadLetteredFrom.get(name) ?? 0;
        return {
          name,
          endpoint,
          acknowledged: done,
          deadLettered: dead,
          backlog: Math.max(totals.published - done - dead, 0),
        };
      });
      return {
        at,
        startedAt,
        emulators: source.emulators,
        totals,
        rates,
        latency: percentiles(
          lags.map((lag) => lag.ms),
          latencyWindowMs / 1_000,
        ),
        topics: [
          { name: source.topic, subscriptions },
          {
            name: source.deadLetterTopic,
            subscriptions: [
              {
                name: source.deadLetterSubscription,
                endpoint: "",
                acknowledged: 0,
                deadLettered: 0,
                backlog: totals.deadLettered,
              },
            ],
          },
        ],
        instances: [...byInstance.values()].map((instance): InstanceView => ({ ...instance })),
        deadLetters,
        history: [...history],
      };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      clearInterval(timer);
      clearInterval(deadLetterTimer);
      listeners.clear();
    },
  };
  return feed;
}

function ratesBetween(from: { at: number; totals: Counts }, to: { at: number; totals: Counts }): Counts {
  const seconds = Math.max((to.at - from.at) / 1_000, 1e-3);
  const rates = {} as Counts;
  for (const name of COUNT_NAMES)
    rates[name] = Math.round(((to.totals[name] - from.totals[name]) / seconds) * 10) / 10;
  return rates;
}

/** Nearest-rank percentiles; null for no samples. */
export function percentiles(values: number[], windowSeconds: number): PipelineSnapshot["latency"] {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = (p: number) => sorted[Math.min(Math.ceil(p * sorted.length) - 1, sorted.length - 1)]!;
  return { p50: rank(0.5), p99: rank(0.99), count: sorted.length, windowSeconds };
}

function viewOf(letter: {
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
}): DeadLetterView {
  const text = new TextDecoder("utf-8", { fatal: true });
  let data: string | undefined;
  try {
    data = text.decode(letter.data);
  } catch {
    data = undefined;
  }
  const publishTime = letter.attributes.CloudPubSubDeadLetterSourceTopicPublishTime;
  return {
    messageId: letter.messageId,
    subscription: shortName(letter.attributes.CloudPubSubDeadLetterSourceSubscription ?? ""),
    deliveryAttempts: Number(letter.attributes.CloudPubSubDeadLetterSourceDeliveryCount ?? 0),
    ...(publishTime !== undefined && { publishTime }),
    size: letter.data.length,
    ...(data === undefined ? { dataBase64: letter.data.toString("base64") } : { data }),
  };
}

/** By the original publish time, newest first; then by message id (numeric where both are). */
function newestFirst(a: DeadLetterView, b: DeadLetterView): number {
  const time = (b.publishTime ?? "").localeCompare(a.publishTime ?? "");
  if (time !== 0) return time;
  const [x, y] = [Number(a.messageId), Number(b.messageId)];
  if (Number.isFinite(x) && Number.isFinite(y)) return y - x;
  return b.messageId.localeCompare(a.messageId);
}

/** `projects/p/subscriptions/s` → `s`; a short name stays as it is. */
function shortName(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

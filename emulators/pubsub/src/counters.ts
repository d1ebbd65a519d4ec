/** Totals since start (or the last reset) across all subscriptions, plus live backlog per subscription. */
export interface PubSubCounters {
  published: number;
  delivered: number;
  acked: number;
  nacked: number;
  redelivered: number;
  deadLettered: number;
  /** Published to the subscription and not yet acked or dead-lettered; "projects/p/subscriptions/s" or "s". */
  outstanding(subscription: string): number;
  reset(): void;
}

/** The counters object handed out by start(); `outstanding` asks the broker for live queue sizes. */
export function createCounters(outstanding: (subscription: string) => number): PubSubCounters {
  return {
    published: 0,
    delivered: 0,
    acked: 0,
    nacked: 0,
    redelivered: 0,
    deadLettered: 0,
    outstanding,
    reset() {
      this.published = this.delivered = this.acked = this.nacked = this.redelivered = this.deadLettered = 0;
    },
  };
}

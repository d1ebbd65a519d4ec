// How big the reliability suite runs: small inside `npm test`, full under `npm run test:reliability`
// (RELIABILITY_SCALE=full). Same code, different numbers.

/** True under `npm run test:reliability`. */
export const full = process.env.RELIABILITY_SCALE === "full";

export interface Scale {
  name: "small" | "full";
  /** Messages of the model-checked workload, per run. */
  messages: number;
  /** The keyspace: addresses from 1.1.1.0, ports from 0; services are fixed. */
  ips: number;
  ports: number;
  /**
   * Storage outages of the model check (OUTAGE_MS each, every Firestore RPC UNAVAILABLE): each starts when
   * this fraction of the run's outcomes was seen.
   */
  outagesAt: number[];
  /** Messages of the model check whose pushes fail on each chosen set of subscriptions, until dead-lettered. */
  deadLetterTargets: number;
  /** Messages of the crash run. */
  crashMessages: number;
  /** How long one run may take to drain before the test fails saying what is left. */
  drainTimeoutMs: number;
  /** Time limit of one model-check or crash test, outages excluded. */
  testTimeoutMs: number;
}

const chosen: Scale = full
  ? {
      name: "full",
      messages: 4000,
      ips: 6,
      ports: 8,
      outagesAt: [0.2, 0.6],
      deadLetterTargets: 12,
      crashMessages: 3000,
      drainTimeoutMs: 360_000,
      testTimeoutMs: 480_000,
    }
  : {
      name: "small",
      messages: 300,
      ips: 3,
      ports: 3,
      outagesAt: [0.3],
      deadLetterTargets: 3,
      crashMessages: 240,
      drainTimeoutMs: 90_000,
      testTimeoutMs: 150_000,
    };

// Google's Pub/Sub emulator slows its pushes down after failed ones (push backoff): after the crash run's
// SIGKILL it delivered only a few messages a second, and the small crash run used most of the 90 s drain limit
// on an idle machine. Against it (PUBSUB_EMULATOR_HOST set) every limit is doubled.
const slowPush = Boolean(process.env.PUBSUB_EMULATOR_HOST);

export const scale: Scale = slowPush
  ? { ...chosen, drainTimeoutMs: 2 * chosen.drainTimeoutMs, testTimeoutMs: 2 * chosen.testTimeoutMs }
  : chosen;

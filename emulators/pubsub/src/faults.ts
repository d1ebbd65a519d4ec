/** Fault injection, mutable while the emulator runs, with a count of what was injected. */
export interface PubSubFaults {
  /** 0..1: the probability that a delivery is made twice. */
  duplicateRate: number;
  /** A random delay in [0, maxDelayMs] before each delivery, which reorders messages. */
  maxDelayMs: number;
  /** Faults injected since start: extra copies of a delivery sent (push or pull). */
  readonly injected: { duplicates: number };
}

/** No faults, none injected yet. */
export function createFaults(): PubSubFaults {
  return { duplicateRate: 0, maxDelayMs: 0, injected: { duplicates: 0 } };
}

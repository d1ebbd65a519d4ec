/** Fault injection, mutable while the emulator runs. */
export interface PubSubFaults {
  /** 0..1: the probability that a delivery is made twice. */
  duplicateRate: number;
  /** A random delay in [0, maxDelayMs] before each delivery, which reorders messages. */
  maxDelayMs: number;
}

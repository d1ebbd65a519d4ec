/** Fault injection, mutable while the emulator runs, with a count of what was injected. */
export interface PubSubFaults {
  /** 0..1: the probability that a delivery is made twice. */
  duplicateRate: number;
  /** A random delay in [0, maxDelayMs] before each delivery, which reorders messages. */
  maxDelayMs: number;
  /**
   * Push deliveries it returns true for fail as an unreachable endpoint would: not sent, counted as a nack.
   * `subscription` is the full name; undefined fails none.
   */
  failPush: ((subscription: string, message: PushedMessage) => boolean) | undefined;
  /** Faults injected since start: extra copies of a delivery sent (push or pull), pushes failed by failPush. */
  readonly injected: { duplicates: number; failedPushes: number };
}

/** What failPush may look at to choose its messages. */
export interface PushedMessage {
  messageId: string;
  attributes: Readonly<Record<string, string>>;
  /** Deliveries so far including this one, fault duplicates excluded. */
  attempt: number;
}

/** No faults, none injected yet. */
export function createFaults(): PubSubFaults {
  return {
    duplicateRate: 0,
    maxDelayMs: 0,
    failPush: undefined,
    injected: { duplicates: 0, failedPushes: 0 },
  };
}

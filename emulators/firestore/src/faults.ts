/** Fault injection, mutable at run time, with a count of what was injected. */
export interface FirestoreFaults {
  /** 0..1: fail an RPC with UNAVAILABLE before it does anything. */
  unavailableRate: number;
  /** 0..1: a Commit is applied, then answered UNAVAILABLE ("reply lost"). */
  lostReplyRate: number;
  /** Faults injected since start: RPCs failed UNAVAILABLE, Commits applied whose reply was dropped. */
  readonly injected: { unavailable: number; lostReplies: number };
}

/** No faults, none injected yet. */
export function createFaults(): FirestoreFaults {
  return { unavailableRate: 0, lostReplyRate: 0, injected: { unavailable: 0, lostReplies: 0 } };
}

/** True with the given probability. */
export const chance = (rate: number): boolean => rate > 0 && Math.random() < rate;

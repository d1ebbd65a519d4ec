/** Fault injection, mutable at run time. */
export interface FirestoreFaults {
  /** 0..1: fail an RPC with UNAVAILABLE before it does anything. */
  unavailableRate: number;
  /** 0..1: a Commit is applied, then answered UNAVAILABLE ("reply lost"). */
  lostReplyRate: number;
}

/** True with the given probability. */
export const chance = (rate: number): boolean => rate > 0 && Math.random() < rate;

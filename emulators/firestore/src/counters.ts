/** Cost counters since start (or the last reset): RPCs by method, billed document reads and writes. */
export interface FirestoreCounters {
  /** Per RPC method name, e.g. rpcs.Commit. */
  rpcs: Record<string, number>;
  /** Billed reads: each document a Get/BatchGet looks up (found or missing), each a query returns (at least 1). */
  documentsRead: number;
  /** Each write applied by Commit or BatchWrite (set, update, delete or transform). */
  documentsWritten: number;
  reset(): void;
}

export function createCounters(): FirestoreCounters {
  return {
    rpcs: {},
    documentsRead: 0,
    documentsWritten: 0,
    reset() {
      this.rpcs = {};
      this.documentsRead = 0;
      this.documentsWritten = 0;
    },
  };
}

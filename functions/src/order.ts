// Which scan wins (docs/contract.md §3): compare (timestamp, responseSha256) left to right.

/** The part of a scan that decides which one is newer. */
export interface Version {
  timestamp: number;
  responseSha256: string;
}

/** What applying an incoming scan does to the stored one. */
export type ApplyOutcome = "stored" | "stale" | "duplicate";

/** Negative when a is older than b, 0 when they are the same observation, positive when a is newer. */
export function compareVersions(a: Version, b: Version): number {
  // Stryker disable next-line EqualityOperator: the two differ here, so < and <= agree
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  // Stryker disable next-line EqualityOperator: the two differ here, so < and <= agree
  if (a.responseSha256 !== b.responseSha256) return a.responseSha256 < b.responseSha256 ? -1 : 1;
  return 0;
}

/** The outcome of offering `incoming` to a document that holds `stored` (undefined: no document). */
export function decideOutcome(incoming: Version, stored: Version | undefined): ApplyOutcome {
  if (stored === undefined) return "stored";
  const order = compareVersions(incoming, stored);
  return order > 0 ? "stored" : order < 0 ? "stale" : "duplicate";
}

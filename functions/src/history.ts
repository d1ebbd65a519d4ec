// The history of distinct responses (docs/contract.md §3, "History of distinct responses"): what one incoming
// scan does to a service's history map, decided from the one document the transaction read. Pure.
import { decideOutcome, type Version } from "./order.ts";

/** One distinct response's entry; times in seconds. No slot: the current response, kept in the document. */
export interface HistoryEntry {
  firstSeen: number;
  lastSeen: number;
  slot?: number;
}

/** `history` of `services/{key}`: responseSha256 → entry. */
export type History = Record<string, HistoryEntry>;

/** What the transaction writes for the history. */
export interface HistoryPlan {
  /** The new map; undefined when it is unchanged (a document from before history then keeps none). */
  history: History | undefined;
  /** A slot to fill with a response's text: the incoming scan's, or the stored document's own. */
  slot: { slot: number; text: "incoming" | "stored" } | undefined;
}

/** The stored document's part: its current version and history (absent on documents from before history). */
export interface StoredHistory {
  version: Version;
  history: History | undefined;
}

const withoutSlot = ({ firstSeen, lastSeen }: HistoryEntry): HistoryEntry => ({ firstSeen, lastSeen });

const sameEntry = (a: HistoryEntry | undefined, b: HistoryEntry | undefined) =>
  // Stryker disable next-line ConditionalExpression: a key only the new map has comes with a slot or a removal, met first
  a !== undefined &&
  b !== undefined &&
  a.firstSeen === b.firstSeen &&
  a.lastSeen === b.lastSeen &&
  // Stryker disable next-line ConditionalExpression: a slot moves only in a plan that also moves some entry's times
  a.slot === b.slot;

/**
 * The entry to drop: the oldest lastSeen, ties the smaller sha. Never the current response's while another
 * entry exists: it holds the newest (lastSeen, sha) of all, the winning scan's.
 */
function oldest(history: History): string {
  const [[sha]] = Object.entries(history).sort(
    // Stryker disable next-line EqualityOperator: the shas are distinct keys, so < and <= agree
    ([a, x], [b, y]) => x.lastSeen - y.lastSeen || (a < b ? -1 : 1),
  ) as [[string, HistoryEntry]];
  return sha;
}

/** With SERVICE_TTL_DAYS (docs/contract.md §3, expiry): slots carry an expiry that follows their entry's lastSeen. */
export interface Expiry {
  /** The oldest lastSeen kept: older entries go when the map is written anyway. */
  oldest: number;
}

/** What offering `incoming` to a service whose document holds `stored` (undefined: none) does to its history. */
export function planHistory(
  incoming: Version,
  stored: StoredHistory | undefined,
  maxEntries: number,
  expiry?: Expiry,
): HistoryPlan {
  const { timestamp, responseSha256: sha } = incoming;
  if (stored === undefined)
    return { history: { [sha]: { firstSeen: timestamp, lastSeen: timestamp } }, slot: undefined };
  const before = stored.version.responseSha256;
  // A document from before history: its current response, seen at its scan time.
  const previous: History = stored.history ?? {
    [before]: { firstSeen: stored.version.timestamp, lastSeen: stored.version.timestamp },
  };
  const next: History = { ...previous };
  const entry = next[sha];
  next[sha] = {
    ...entry,
    firstSeen: Math.min(entry?.firstSeen ?? timestamp, timestamp),
    lastSeen: Math.max(entry?.lastSeen ?? timestamp, timestamp),
  };
  const current = decideOutcome(incoming, stored.version) === "stored" ? sha : before;
  // The current response's text is the document's own: its entry holds no slot.
  next[current] = withoutSlot(next[current]!);
  // At most one entry needs a slot, and it has none yet: the response that stopped being current (the
  // current one holds none), or a new one that is not current.
  const needing =
    current === sha ? (sha === before ? undefined : before) : entry === undefined ? sha : undefined;
  while (Object.keys(next).length > maxEntries) delete next[oldest(next)];
  // Stryker disable next-line ConditionalExpression: next[undefined] is undefined too
  const slotted = needing !== undefined && next[needing] !== undefined;
  const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
  const changed = slotted || [...keys].some((key) => !sameEntry(previous[key], next[key]));
  if (!changed) return { history: undefined, slot: undefined };

  if (expiry !== undefined)
    // Expired entries go with a write the message makes anyway, never with a write of their own. The current
    // response has not expired (an expired scan is rejected before the store); the one it replaces may have.
    for (const [kept, { lastSeen }] of Object.entries(next))
      // Stryker disable next-line ConditionalExpression: the current entry's lastSeen is never below oldest
      if (kept !== current && lastSeen < expiry.oldest) delete next[kept];

  let slot: HistoryPlan["slot"];
  if (slotted && next[needing!] !== undefined) {
    const taken = new Set(Object.values(next).map((kept) => kept.slot));
    let free = 0;
    while (taken.has(free)) free++;
    next[needing!] = { ...next[needing!]!, slot: free };
    slot = { slot: free, text: needing === sha ? "incoming" : "stored" };
  } else if (expiry !== undefined) {
    // A slotted entry seen later than before: its slot is written again, so its expiry follows.
    const widened = next[sha];
    // Stryker disable next-line OptionalChaining: here the incoming response was kept (a change) and, if new, slotted above
    if (widened?.slot !== undefined && widened.lastSeen > (entry?.lastSeen ?? 0))
      slot = { slot: widened.slot, text: "incoming" };
  }
  return { history: next, slot };
}

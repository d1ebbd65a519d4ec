/** What the ordering bookkeeping needs of a queue entry. */
export interface KeyedEntry {
  message: { orderingKey: string };
  state: "ready" | "leased" | "backoff" | "held" | "gone";
}

/**
 * The unacknowledged messages of each ordering key of a subscription with message ordering, in publish order.
 * A message of a key is delivered only once every earlier message of that key is acknowledged, or in the same
 * response as them, and a nacked or expired message sends the later messages of its key back to "held" until it
 * has been delivered again (https://cloud.google.com/pubsub/docs/ordering): so no stream, nack or expiry can let
 * a later message of a key reach the subscriber before an earlier one.
 */
export class OrderingKeys<Entry extends KeyedEntry> {
  private readonly keys = new Map<string, Entry[]>();

  /** Appends a newly published message to its key. */
  add(entry: Entry): void {
    const key = entry.message.orderingKey;
    const list = this.keys.get(key);
    if (list) list.push(entry);
    else this.keys.set(key, [entry]);
  }

  /** Forgets an acknowledged, dead-lettered or expired message. */
  remove(entry: Entry): void {
    const key = entry.message.orderingKey;
    const list = this.keys.get(key);
    if (!list) return;
    const index = list.indexOf(entry);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.keys.delete(key);
  }

  /** The earliest unacknowledged message of the key. */
  first(key: string): Entry | undefined {
    return this.keys.get(key)?.[0];
  }

  /** The message of the entry's key published right after it, if any. */
  following(entry: Entry): Entry | undefined {
    const list = this.keys.get(entry.message.orderingKey) ?? [];
    const index = list.indexOf(entry);
    return index < 0 ? undefined : list[index + 1];
  }

  /** The messages of the entry's key published after it, which a nack or an expiry sends back. */
  after(entry: Entry): Entry[] {
    const list = this.keys.get(entry.message.orderingKey) ?? [];
    const index = list.indexOf(entry);
    return index < 0 ? [] : list.slice(index + 1);
  }

  clear(): void {
    this.keys.clear();
  }
}

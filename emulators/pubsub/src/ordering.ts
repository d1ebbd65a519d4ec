/** What the ordering bookkeeping needs of a queue entry. */
export interface KeyedEntry {
  message: { orderingKey: string };
  state: "ready" | "leased" | "backoff" | "held" | "gone";
}

/**
 * The unacknowledged messages of each ordering key of a subscription with message ordering, in publish order.
 * A message of a key may be delivered only once every earlier message of that key is out on lease, so a key
 * is delivered in publish order; a nacked or expired message sends the later messages of its key back to
 * "held" until it has been delivered again (https://cloud.google.com/pubsub/docs/ordering).
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

  /**
   * The held message of the key that may be delivered now, if any: the first one not on lease, when every
   * earlier one is on lease. `serial` (push) allows only one message of a key on lease at a time.
   */
  next(key: string, serial: boolean): Entry | undefined {
    for (const entry of this.keys.get(key) ?? []) {
      if (entry.state === "leased" && !serial) continue;
      return entry.state === "held" ? entry : undefined;
    }
    return undefined;
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

// Pessimistic concurrency control with wound-wait. A transaction's reads hold shared locks until
// it ends; a write needs every key it touches free of other owners' shared locks, and then applies
// at once (synchronously), so exclusive locks are never held across an await. Conflicts go by age:
// an older writer wounds (aborts) younger holders and waits for older ones; a reader waits for older
// waiting writers. Every wait points from younger to older, so there is no deadlock, and since a
// retried transaction keeps its age, every transaction eventually is the oldest and finishes.

/** Who holds or requests locks: a transaction, or a single non-transactional write. */
export interface LockOwner {
  readonly id: string;
  /** Smaller is older and wins conflicts; a retried transaction keeps the age of its first attempt. */
  readonly age: number;
  /** Called when an older writer needs this owner's locks: the owner must abort and release them. */
  wound(): void;
}

/** True when a is older than b (ties broken by id, so the order is total). */
export const olderThan = (a: LockOwner, b: LockOwner): boolean =>
  a.age < b.age || (a.age === b.age && a.id < b.id);

interface Waiter {
  owner: LockOwner;
  keys: string[];
  exclusive: boolean;
  attempt(): boolean; // true once granted (and done)
  fail(error: Error): void;
  timer?: NodeJS.Timeout;
}

/** Thrown to a waiter whose bounded wait ran out. */
export class LockTimeout extends Error {}

/** Shared locks by key, and the requests waiting for them. */
export class LockTable {
  private readonly holders = new Map<string, Map<string, LockOwner>>();
  private readonly held = new Map<string, Set<string>>();
  private readonly waiting = new Set<Waiter>();

  /** Takes shared locks on all keys for the owner, then runs `read` at once; waits behind older writers. */
  withShared<T>(owner: LockOwner, keys: string[], timeoutMs: number, read: () => T): Promise<T> {
    return this.request(
      owner,
      keys,
      false,
      timeoutMs,
      () => {
        if (keys.some((key) => this.olderWriterWaits(owner, key))) return false;
        for (const key of keys) this.hold(owner, key);
        return true;
      },
      read,
    );
  }

  /** Runs `write` at once when no other owner holds a shared lock on the keys; younger holders are wounded. */
  withExclusive<T>(owner: LockOwner, keys: string[], timeoutMs: number, write: () => T): Promise<T> {
    return this.request(
      owner,
      keys,
      true,
      timeoutMs,
      () => {
        for (const holder of this.blockers(owner, keys)) if (olderThan(owner, holder)) holder.wound();
        return this.blockers(owner, keys).length === 0;
      },
      write,
    );
  }

  /** Releases every lock of the owner and fails its waiting request, if any, with the error `error` makes. */
  releaseAll(owner: LockOwner, error?: () => Error): void {
    // The error is made only for a waiter that gets it: building one (its stack) for every transaction's end
    // was a twentieth of the emulator's CPU under load.
    for (const waiter of this.waiting) if (waiter.owner.id === owner.id && error) waiter.fail(error());
    const keys = this.held.get(owner.id);
    if (!keys) return;
    this.held.delete(owner.id);
    for (const key of keys) {
      const holders = this.holders.get(key);
      holders?.delete(owner.id);
      if (holders?.size === 0) this.holders.delete(key);
    }
    this.wake();
  }

  /** Number of keys with holders and of waiting requests (for tests and leak checks). */
  get size(): { lockedKeys: number; waiting: number } {
    return { lockedKeys: this.holders.size, waiting: this.waiting.size };
  }

  private request<T>(
    owner: LockOwner,
    keys: string[],
    exclusive: boolean,
    timeoutMs: number,
    grant: () => boolean,
    run: () => T,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        owner,
        keys,
        exclusive,
        attempt: () => {
          if (!grant()) return false;
          this.settle(waiter);
          try {
            resolve(run());
          } catch (error) {
            reject(error);
          }
          return true;
        },
        fail: (error) => {
          this.settle(waiter);
          reject(error);
        },
      };
      this.waiting.add(waiter);
      this.exclusively(() => waiter.attempt());
      if (!this.waiting.has(waiter)) return; // granted, or failed while granting
      waiter.timer = setTimeout(() => waiter.fail(new LockTimeout("lock wait timed out")), timeoutMs);
      waiter.timer.unref();
    });
  }

  private settle(waiter: Waiter): void {
    if (waiter.timer) clearTimeout(waiter.timer);
    if (this.waiting.delete(waiter)) this.wake();
  }

  private hold(owner: LockOwner, key: string): void {
    let holders = this.holders.get(key);
    if (!holders) this.holders.set(key, (holders = new Map()));
    holders.set(owner.id, owner);
    let keys = this.held.get(owner.id);
    if (!keys) this.held.set(owner.id, (keys = new Set()));
    keys.add(key);
  }

  private blockers(owner: LockOwner, keys: string[]): LockOwner[] {
    const found = new Map<string, LockOwner>();
    for (const key of keys) {
      for (const holder of this.holders.get(key)?.values() ?? [])
        if (holder.id !== owner.id) found.set(holder.id, holder);
    }
    return [...found.values()];
  }

  private olderWriterWaits(owner: LockOwner, key: string): boolean {
    for (const waiter of this.waiting) {
      if (
        waiter.exclusive &&
        waiter.owner.id !== owner.id &&
        olderThan(waiter.owner, owner) &&
        waiter.keys.includes(key)
      ) {
        return true;
      }
    }
    return false;
  }

  private waking = false;
  private wakeRequested = false;

  /** Runs `step` with wake-ups deferred, so granting one request never re-enters another. */
  private exclusively(step: () => void): void {
    if (this.waking) return step();
    this.waking = true;
    try {
      step();
    } finally {
      this.waking = false;
    }
    if (this.wakeRequested) this.wake();
  }

  /** Retries waiting requests, oldest first, until none can proceed. */
  private wake(): void {
    if (this.waking) {
      this.wakeRequested = true;
      return;
    }
    this.waking = true;
    try {
      do {
        this.wakeRequested = false;
        const queue = [...this.waiting].sort((a, b) => (olderThan(a.owner, b.owner) ? -1 : 1));
        for (const waiter of queue) if (this.waiting.has(waiter)) waiter.attempt();
      } while (this.wakeRequested);
    } finally {
      this.waking = false;
    }
  }
}

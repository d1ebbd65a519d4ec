import { aborted } from "@scan-ingest/emulator-shared/status";
import type { FirestoreCounters } from "./counters.ts";
import type { FirestoreFaults } from "./faults.ts";
import { LockTable, LockTimeout, type LockOwner } from "./locks.ts";
import { collectionOf, lastSegment, parseName } from "./paths.ts";
import { DEFAULT_KEEP_VERSIONS_SECONDS, DocumentStore } from "./store.ts";
import { keptReadTime, monotonicClock, pastReadTime, type Micros } from "./time.ts";
import { Transactions, type Transaction } from "./transactions.ts";
import type { ReadConsistency } from "./wire.ts";

/** Time limits, shortened by tests. */
export interface Timing {
  /** A transaction unused for this long is ended and its locks released (Firestore: 60 s). */
  transactionIdleMs: number;
  /** A request waits at most this long for a lock, then fails ABORTED (which the SDK retries). */
  lockWaitMs: number;
}

export const defaultTiming: Timing = { transactionIdleMs: 60_000, lockWaitMs: 20_000 };

/** The result of a read at one consistent point, with the id of the transaction it began, if any. */
export interface ConsistentRead<T> {
  value: T;
  readTime: Micros;
  transaction?: Buffer;
}

/** Lock key of a document. */
export const documentKey = (name: string): string => `d|${name}`;
/** Lock key of a collection: queries over it lock it, so inserts cannot slip past them. */
export const collectionKey = (collection: string): string => `c|${collection}`;
/** Lock key of every collection with this id in a database (collection-group queries). */
export const groupKey = (database: string, collectionId: string): string => `g|${database}|${collectionId}`;

/** The keys a write to a document must find free: the document, its collection and its group. */
export function writeKeys(name: string): string[] {
  const collection = collectionOf(name);
  return [
    documentKey(name),
    collectionKey(collection),
    groupKey(parseName(name).database, lastSegment(collection)),
  ];
}

/** Everything the RPC handlers share: documents, locks, transactions, the clock and the counters. */
export class Database {
  readonly store: DocumentStore;
  readonly locks = new LockTable();
  readonly clock = monotonicClock();
  readonly transactions: Transactions;
  readonly counters: FirestoreCounters;
  readonly faults: FirestoreFaults;
  readonly timing: Timing;
  /** Called synchronously after every commit with the names it wrote; Listen's targets hang off this. */
  readonly commitObservers = new Set<(names: string[], commitTime: Micros) => void>();

  constructor(
    counters: FirestoreCounters,
    faults: FirestoreFaults,
    timing: Timing,
    keepVersionsSeconds = DEFAULT_KEEP_VERSIONS_SECONDS,
  ) {
    this.store = new DocumentStore(keepVersionsSeconds);
    this.counters = counters;
    this.faults = faults;
    this.timing = timing;
    this.transactions = new Transactions(this.locks, this.clock, timing.transactionIdleMs, this.store);
  }

  /** Reads at the point the request names: in a transaction (locking `keys`), starting one, at a past time, or now. */
  async read<T>(
    database: string,
    consistency: ReadConsistency,
    keys: string[],
    read: (time: Micros) => T,
  ): Promise<ConsistentRead<T>> {
    if (consistency.transaction?.length) {
      return this.readIn(this.transactions.use(consistency.transaction, database), keys, read);
    }
    if (consistency.newTransaction) {
      const transaction = this.transactions.begin(database, consistency.newTransaction);
      try {
        return { ...(await this.readIn(transaction, keys, read)), transaction: transaction.bytes };
      } catch (error) {
        this.transactions.end(transaction);
        throw error;
      }
    }
    const now = this.clock();
    const readTime = consistency.readTime ? pastReadTime(consistency.readTime, now, this.store) : now;
    return { value: read(readTime), readTime };
  }

  /** Runs `write` once the keys are free of other owners' locks; ABORTED when the wait runs out. */
  async exclusive<T>(owner: LockOwner, keys: string[], write: () => T): Promise<T> {
    try {
      return await this.locks.withExclusive(owner, keys, this.timing.lockWaitMs, write);
    } catch (error) {
      throw error instanceof LockTimeout ? aborted("Transaction lock timeout.") : error;
    }
  }

  private async readIn<T>(
    transaction: Transaction,
    keys: string[],
    read: (time: Micros) => T,
  ): Promise<ConsistentRead<T>> {
    if (transaction.readTime !== undefined) {
      const readTime = keptReadTime(transaction.readTime, this.store);
      return { value: read(readTime), readTime };
    }
    transaction.busy++;
    try {
      return await this.locks.withShared(transaction, keys, this.timing.lockWaitMs, () => {
        const readTime = this.clock();
        return { value: read(readTime), readTime };
      });
    } catch (error) {
      throw error instanceof LockTimeout ? aborted("Transaction lock timeout.") : error;
    } finally {
      transaction.busy--;
      transaction.lastUsedMs = Date.now();
    }
  }

  /** Drops all documents and ends all transactions. */
  clear(): void {
    this.transactions.clear();
    this.store.clear();
  }
}

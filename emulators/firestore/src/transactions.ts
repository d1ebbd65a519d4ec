import { randomBytes } from "node:crypto";
import { aborted, invalidArgument } from "@scan-ingest/emulator-shared/status";
import type { LockOwner, LockTable } from "./locks.ts";
import { pastReadTime, type KeptVersions, type Micros } from "./time.ts";
import type { TransactionOptions } from "./wire.ts";

/** A transaction as the server tracks it between the RPCs that use it. */
export interface Transaction extends LockOwner {
  readonly bytes: Buffer;
  readonly database: string;
  /** Set for a read-only transaction: every read sees the snapshot at this time. */
  readonly readTime: Micros | undefined;
  aborted: boolean;
  lastUsedMs: number;
  /** RPCs in flight: a transaction waiting for a lock is not idle. */
  busy: number;
}

// The message the SDK recognises (INVALID_ARGUMENT matching /transaction has expired/) and retries.
const EXPIRED = "The transaction has expired or is no longer valid (transaction has expired).";

export const CONTENTION =
  "Transaction aborted because of contention with an older transaction on the same documents; retry it.";

// An id is 8 bytes of age (microseconds when the first attempt began) and 8 random bytes, so a retry
// carries the age of its first attempt even after the server has forgotten that attempt.
const ageOf = (bytes: Uint8Array): number | undefined =>
  bytes.length === 16 ? Number(Buffer.from(bytes).readBigUInt64BE(0)) : undefined;

/** The open transactions, their expiry, and how they begin and end. */
export class Transactions {
  private readonly open = new Map<string, Transaction>();

  private readonly locks: LockTable;
  private readonly clock: () => Micros;
  private readonly idleMs: number;

  /** How far back a read-only transaction's read_time may lie: the versions the store keeps. */
  private readonly kept: KeptVersions;

  constructor(locks: LockTable, clock: () => Micros, idleMs: number, kept: KeptVersions) {
    this.kept = kept;
    this.locks = locks;
    this.clock = clock;
    this.idleMs = idleMs;
  }

  /** Starts a transaction; a retry keeps its first attempt's age and ends that attempt if still open. */
  begin(database: string, options: TransactionOptions | undefined): Transaction {
    const retried = options?.readWrite?.retryTransaction;
    if (retried?.length) {
      const previous = this.open.get(Buffer.from(retried).toString("hex"));
      if (previous) this.end(previous);
    }
    const now = this.clock();
    const age = (retried ? ageOf(retried) : undefined) ?? now;
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64BE(BigInt(age), 0);
    randomBytes(8).copy(bytes, 8);
    const readOnly = options?.readOnly !== undefined;
    const readTime = options?.readOnly?.readTime
      ? pastReadTime(options.readOnly.readTime, now, this.kept)
      : now;
    const id = bytes.toString("hex");
    const transaction: Transaction = {
      id,
      age,
      bytes,
      database,
      readTime: readOnly ? readTime : undefined,
      aborted: false,
      lastUsedMs: Date.now(),
      busy: 0,
      wound: () => {
        transaction.aborted = true;
        this.locks.releaseAll(transaction, () => aborted(CONTENTION));
      },
    };
    this.open.set(id, transaction);
    return transaction;
  }

  /** The open transaction with this id: INVALID_ARGUMENT when unknown or expired, ABORTED when wounded. */
  use(bytes: Uint8Array, database: string): Transaction {
    const transaction = this.open.get(Buffer.from(bytes).toString("hex"));
    if (!transaction || transaction.database !== database) throw invalidArgument(EXPIRED);
    if (transaction.aborted) {
      this.end(transaction);
      throw aborted(CONTENTION);
    }
    transaction.lastUsedMs = Date.now();
    return transaction;
  }

  /** Ends a transaction (commit, rollback, failure): its locks go and its id stops being valid. */
  end(transaction: Transaction): void {
    this.open.delete(transaction.id);
    this.locks.releaseAll(transaction, () => invalidArgument(EXPIRED));
  }

  /** Ends every transaction idle for longer than the idle limit, so a crashed client blocks nobody. */
  expireIdle(nowMs = Date.now()): number {
    let expired = 0;
    for (const transaction of this.open.values()) {
      if (transaction.busy === 0 && nowMs - transaction.lastUsedMs > this.idleMs) {
        this.end(transaction);
        expired++;
      }
    }
    return expired;
  }

  /** Ends all transactions (the data is being cleared). */
  clear(): void {
    for (const transaction of this.open.values()) this.end(transaction);
  }

  get count(): number {
    return this.open.size;
  }
}

import { status } from "@grpc/grpc-js";
import { asServiceError, invalidArgument, unavailable } from "@scan-ingest/emulator-shared/status";
import { writeKeys, type Database } from "./database.ts";
import { chance } from "./faults.ts";
import type { LockOwner } from "./locks.ts";
import type { DocumentVersion } from "./store.ts";
import { toTimestamp, type Micros } from "./time.ts";
import { applyWrite, writeTarget } from "./writes.ts";
import type { Timestamp, Write, WriteResult } from "./wire.ts";

export interface CommitRequest {
  database: string;
  writes?: Write[];
  transaction?: Uint8Array;
}

export interface CommitResponse {
  writeResults: WriteResult[];
  commitTime: Timestamp;
}

/** Applies writes atomically at one commit time: all or none (a failed precondition fails them all). */
function applyAll(db: Database, writes: Write[]): CommitResponse {
  const commitTime: Micros = db.clock();
  const staged = new Map<string, DocumentVersion | undefined>();
  const writeResults = writes.map((write) => {
    const name = writeTarget(write);
    const current = staged.has(name) ? staged.get(name) : db.store.read(name, commitTime);
    const { document, result } = applyWrite(current, write, commitTime);
    staged.set(name, document);
    return result;
  });
  for (const [name, document] of staged) db.store.install(name, document, commitTime);
  const names = [...staged.keys()];
  for (const observe of db.commitObservers) observe(names, commitTime);
  db.counters.documentsWritten += writes.length;
  return { writeResults, commitTime: toTimestamp(commitTime) };
}

/** A non-transactional write: it holds no locks, so it only waits for (or wounds) the holders of its keys. */
function singleWrite(db: Database): LockOwner {
  const age = db.clock();
  return { id: `write-${age}`, age, wound: () => undefined };
}

/** Writes applied atomically outside any transaction, once no other owner holds their documents' locks. */
export function writeOutsideTransaction(db: Database, writes: Write[]): Promise<CommitResponse> {
  const keys = [...new Set(writes.flatMap((write) => writeKeys(writeTarget(write))))];
  return db.exclusive(singleWrite(db), keys, () => applyAll(db, writes));
}

/** Commit: a transaction's writes (releasing its locks), or a batch of writes applied atomically. */
export async function commit(db: Database, request: CommitRequest): Promise<CommitResponse> {
  const writes = request.writes ?? [];
  let response: CommitResponse;
  if (request.transaction?.length) {
    const keys = [...new Set(writes.flatMap((write) => writeKeys(writeTarget(write))))];
    const transaction = db.transactions.use(request.transaction, request.database);
    if (transaction.readTime !== undefined && writes.length > 0) {
      db.transactions.end(transaction);
      throw invalidArgument("Cannot modify entities in a read-only transaction.");
    }
    transaction.busy++;
    try {
      response = await db.exclusive(transaction, keys, () => applyAll(db, writes));
    } finally {
      transaction.busy--;
      db.transactions.end(transaction);
    }
  } else {
    response = await writeOutsideTransaction(db, writes);
  }
  if (chance(db.faults.lostReplyRate)) {
    db.faults.injected.lostReplies++;
    throw unavailable("Injected fault: the commit was applied, its reply lost.");
  }
  return response;
}

export interface BatchWriteRequest {
  database: string;
  writes?: Write[];
}

export interface BatchWriteResponse {
  writeResults: WriteResult[];
  status: { code: number; message: string }[];
}

/** BatchWrite: each write applied on its own, with its own status; not atomic. */
export async function batchWrite(db: Database, request: BatchWriteRequest): Promise<BatchWriteResponse> {
  const writes = request.writes ?? [];
  const names = writes.map(writeTarget);
  if (new Set(names).size !== names.length)
    throw invalidArgument("BatchWrite cannot write a document more than once.");
  const outcomes = await Promise.all(
    writes.map(async (write) => {
      try {
        const response = await writeOutsideTransaction(db, [write]);
        return { result: response.writeResults[0] as WriteResult, code: status.OK, message: "" };
      } catch (error) {
        const { code, details } = asServiceError(error);
        return { result: { transformResults: [] }, code, message: details };
      }
    }),
  );
  return {
    writeResults: outcomes.map((outcome) => outcome.result),
    status: outcomes.map(({ code, message }) => ({ code, message })),
  };
}

// The Firestore shell: one transaction per scan, one create per reject. A failure is thrown as a
// StoreError that says whether a redelivery may cure it (failures.ts).
import { FieldValue, Firestore, Timestamp, type DocumentSnapshot } from "@google-cloud/firestore";
import type { Config } from "./config.ts";
import type { RejectDocument, ServiceDocument } from "./documents.ts";
import type { Instant } from "./envelope.ts";
import { classifyFailure, type Failure } from "./failures.ts";
import { HISTORY_COLLECTION } from "./documents.ts";
import { planHistory, type History, type StoredHistory } from "./history.ts";
import { decideOutcome, type ApplyOutcome } from "./order.ts";
import { shardOf } from "./shard.ts";

/** Where the ingest path keeps its state. */
export interface Store {
  /** In one transaction: read `services/{key}`, write `document` (with its shard) only when it is newer. */
  applyIfNewer(key: string, document: ServiceDocument): Promise<ApplyOutcome>;
  /** Create `rejects/{id}` (with its shard) once; a redelivered reject finds it there and succeeds. */
  writeReject(id: string, document: RejectDocument): Promise<void>;
}

/**
 * A store call that failed: the function throws it so the message is not acknowledged. A permanent one will
 * fail on every redelivery until the dead-letter topic takes the message; its `failure.fix` says what to do.
 */
export class StoreError extends Error {
  readonly failure: Failure;
  constructor(what: string, cause: unknown, failure: Failure = classifyFailure(cause)) {
    super(`${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "StoreError";
    this.failure = failure;
  }
}

const alreadyExists = 6; // gRPC status ALREADY_EXISTS

/** The Firestore client of this instance, configured from Config rather than the environment. */
export function createFirestore(config: Config): Firestore {
  const emulator = config.firestoreEmulatorHost;
  return new Firestore({
    ...(config.projectId && { projectId: config.projectId }),
    ...(emulator && { host: emulator, ssl: false }),
    ignoreUndefinedProperties: true,
  });
}

function toTimestamp(instant: Instant): Timestamp {
  return new Timestamp(instant.seconds, instant.nanoseconds);
}

/** The stored (scannedAt, responseSha256) and history; a malformed document counts as older than any scan. */
function storedHistory(snapshot: DocumentSnapshot): StoredHistory | undefined {
  if (!snapshot.exists) return undefined;
  const scannedAt: unknown = snapshot.get("scannedAt");
  const responseSha256: unknown = snapshot.get("responseSha256");
  const history: unknown = snapshot.get("history");
  return {
    version: {
      timestamp: scannedAt instanceof Timestamp ? scannedAt.seconds : 0,
      responseSha256: typeof responseSha256 === "string" ? responseSha256 : "",
    },
    history: isStoredHistory(history) ? fromStored(history) : undefined,
  };
}

type StoredEntry = { firstSeen: Timestamp; lastSeen: Timestamp; slot?: number };

function isStoredHistory(value: unknown): value is Record<string, StoredEntry> {
  return (
    typeof value === "object" &&
    value !== null &&
    Object.values(value).every(
      (entry: Partial<StoredEntry>) =>
        entry.firstSeen instanceof Timestamp && entry.lastSeen instanceof Timestamp,
    )
  );
}

const fromStored = (history: Record<string, StoredEntry>): History =>
  Object.fromEntries(
    Object.entries(history).map(([sha, { firstSeen, lastSeen, slot }]) => [
      sha,
      { firstSeen: firstSeen.seconds, lastSeen: lastSeen.seconds, ...(typeof slot === "number" && { slot }) },
    ]),
  );

const toStored = (history: History): Record<string, StoredEntry> =>
  Object.fromEntries(
    Object.entries(history).map(([sha, { firstSeen, lastSeen, slot }]) => [
      sha,
      {
        firstSeen: new Timestamp(firstSeen, 0),
        lastSeen: new Timestamp(lastSeen, 0),
        ...(slot !== undefined && { slot }),
      },
    ]),
  );

/** The response fields a history slot keeps (docs/contract.md §3), from a stored document. */
function responseOf(snapshot: DocumentSnapshot) {
  const bytes: unknown = snapshot.get("responseBytes");
  return {
    responseSha256: snapshot.get("responseSha256") as string,
    response: snapshot.get("response") as string,
    ...(bytes !== undefined && { responseBytes: bytes }),
    responseSize: snapshot.get("responseSize") as number,
    responseTruncated: snapshot.get("responseTruncated") as boolean,
  };
}

/**
 * The fields `services/{key}` holds once `document` is stored with `history`: what the ingest transaction
 * writes, and what the benchmarks' floors write to do the same work.
 */
export function serviceFields(
  key: string,
  document: ServiceDocument,
  history: History,
  expireAt: { expireAt?: Timestamp } = {},
) {
  return {
    ...document,
    ...(document.responseBytes && { responseBytes: Buffer.from(document.responseBytes) }),
    shard: shardOf(key),
    scannedAt: toTimestamp(document.scannedAt),
    publishTime: document.publishTime && toTimestamp(document.publishTime),
    history: toStored(history),
    ...expireAt,
    updatedAt: FieldValue.serverTimestamp(),
  };
}

/** The Store over a Firestore client and the configured collections. */
export function firestoreStore(firestore: Firestore, config: Config, now: () => number = Date.now): Store {
  const services = firestore.collection(config.servicesCollection);
  const ttlSeconds = config.serviceTtlDays === undefined ? undefined : config.serviceTtlDays * 86_400;
  /** With SERVICE_TTL_DAYS, when a document seen last at `seconds` expires (Firestore's TTL policy deletes it). */
  const expireAt = (seconds: number) =>
    ttlSeconds === undefined ? {} : { expireAt: new Timestamp(seconds + ttlSeconds, 0) };
  const rejects = firestore.collection(config.rejectsCollection);
  return {
    async applyIfNewer(key, document) {
      const reference = services.doc(key);
      const incoming = { timestamp: document.scannedAt.seconds, responseSha256: document.responseSha256 };
      try {
        return await firestore.runTransaction(async (transaction) => {
          const snapshot = await transaction.get(reference);
          const stored = storedHistory(snapshot);
          const outcome = decideOutcome(incoming, stored?.version);
          const expiry =
            ttlSeconds === undefined ? undefined : { oldest: Math.floor(now() / 1000) - ttlSeconds };
          const plan = planHistory(incoming, stored, config.historyMaxEntries, expiry);
          if (plan.slot) {
            const slot = reference.collection(HISTORY_COLLECTION).doc(String(plan.slot.slot));
            const { responseSha256, response, responseBytes, responseSize, responseTruncated } = document;
            const text =
              plan.slot.text === "stored"
                ? responseOf(snapshot)
                : {
                    responseSha256,
                    response,
                    ...(responseBytes && { responseBytes: Buffer.from(responseBytes) }),
                    responseSize,
                    responseTruncated,
                  };
            transaction.set(slot, { ...text, ...expireAt(plan.history![text.responseSha256]!.lastSeen) });
          }
          if (outcome === "stored") {
            transaction.set(
              reference,
              serviceFields(key, document, plan.history!, expireAt(document.scannedAt.seconds)),
            );
          } else if (plan.history) {
            transaction.update(reference, { history: toStored(plan.history) });
          }
          return outcome;
        });
      } catch (error) {
        throw new StoreError(`the transaction on ${reference.path}`, error);
      }
    },
    async writeReject(id, document) {
      const reference = rejects.doc(id);
      try {
        await reference.create({
          ...document,
          ...(document.dataBytes && { dataBytes: Buffer.from(document.dataBytes) }),
          shard: shardOf(id),
          publishTime: document.publishTime && toTimestamp(document.publishTime),
          rejectedAt: FieldValue.serverTimestamp(),
        });
      } catch (error) {
        if ((error as { code?: unknown }).code === alreadyExists) return;
        throw new StoreError(`writing ${reference.path}`, error);
      }
    },
  };
}

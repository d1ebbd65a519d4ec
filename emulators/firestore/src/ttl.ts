// TTL policies, as production has them (https://firebase.google.com/docs/firestore/ttl): a policy names a
// collection group and a field; a document of that group whose field holds a Timestamp at or before now is
// deleted. Any other value, or none, never expires it. Each expired document is deleted on its own, as an
// ordinary non-transactional delete (listeners see it, the counters count it); its subcollections stay.
// Google's emulator has no TTL (docs/parity.md).
import { readFile } from "node:fs/promises";
import { writeOutsideTransaction } from "./commit.ts";
import type { Database } from "./database.ts";
import { getField } from "./fields.ts";
import { invalidIdReason, parseFieldPath } from "./paths.ts";
import type { DocumentStore, DocumentVersion } from "./store.ts";
import { fromTimestamp, toTimestamp, type Micros } from "./time.ts";
import { kindOf } from "./values.ts";

/** One TTL policy: documents of `collectionGroup` expire at the Timestamp in `field` (a field path). */
export interface TtlPolicy {
  collectionGroup: string;
  field: string;
}

export interface TtlOptions {
  policies: TtlPolicy[];
  /** How often expired documents are looked for and deleted; default DEFAULT_TTL_SWEEP_MS. */
  sweepIntervalMs?: number;
}

/**
 * Production deletes "typically within 24 hours"; a development tool should show the effect within a minute
 * without walking every document many times a second. Tests shorten it.
 */
export const DEFAULT_TTL_SWEEP_MS = 60_000;

/** The policies, checked as Firestore checks them: valid names, at most one TTL field per collection group. */
export function checkTtlPolicies(policies: readonly TtlPolicy[]): TtlPolicy[] {
  const groups = new Set<string>();
  for (const { collectionGroup, field } of policies) {
    const name = `TTL policy ${JSON.stringify(collectionGroup)}.${JSON.stringify(field)}`;
    const reason = collectionGroup.includes("/")
      ? "a collection group is one id"
      : invalidIdReason(collectionGroup);
    if (!collectionGroup || reason) throw new Error(`${name}: ${reason ?? "the collection group is empty"}`);
    try {
      parseFieldPath(field);
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
    }
    if (groups.has(collectionGroup))
      throw new Error(`${name}: Firestore allows one TTL field per collection group`);
    groups.add(collectionGroup);
  }
  return [...policies];
}

/** The documents that exist at `now` and have expired under a policy: its field a Timestamp at or before `now`. */
export function expiredDocuments(
  store: DocumentStore,
  policies: readonly TtlPolicy[],
  now: Micros,
): DocumentVersion[] {
  const expired: DocumentVersion[] = [];
  for (const { collectionGroup, field } of policies) {
    const path = parseFieldPath(field);
    for (const document of store.documentsInGroup(collectionGroup, now)) {
      const value = getField(document.fields, path);
      if (value === undefined || kindOf(value) !== "timestampValue" || !value.timestampValue) continue;
      if (fromTimestamp(value.timestampValue) <= now) expired.push(document);
    }
  }
  return expired;
}

/** The TTL policies of a Firebase index file (firestore.indexes.json): its fieldOverrides with `ttl: true`. */
export function ttlPoliciesFromIndexes(spec: unknown, source = "the index file"): TtlPolicy[] {
  const overrides = (spec as { fieldOverrides?: unknown } | null)?.fieldOverrides ?? [];
  if (!Array.isArray(overrides)) throw new Error(`${source}: fieldOverrides is not a list`);
  const policies: TtlPolicy[] = [];
  for (const override of overrides as { collectionGroup?: unknown; fieldPath?: unknown; ttl?: unknown }[]) {
    if (override?.ttl === undefined || override.ttl === false) continue;
    const { collectionGroup, fieldPath, ttl } = override;
    if (ttl !== true || typeof collectionGroup !== "string" || typeof fieldPath !== "string")
      throw new Error(`${source}: a TTL override needs a collectionGroup, a fieldPath and ttl: true`);
    policies.push({ collectionGroup, field: fieldPath });
  }
  try {
    return checkTtlPolicies(policies);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`, { cause: error });
  }
}

/** The TTL policies of a Firebase index file on disk. */
export async function readTtlPolicies(file: string): Promise<TtlPolicy[]> {
  let spec: unknown;
  try {
    spec = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read TTL policies from ${file}: ${(error as Error).message}`, { cause: error });
  }
  return ttlPoliciesFromIndexes(spec, file);
}

/** Deletes every expired document, one delete each; one that changed since it was found is left for the next sweep. */
export async function sweepExpired(
  db: Database,
  policies: readonly TtlPolicy[],
  stopped = () => false,
): Promise<number> {
  let deleted = 0;
  for (const document of expiredDocuments(db.store, policies, db.clock())) {
    if (stopped()) break;
    try {
      await writeOutsideTransaction(db, [
        { delete: document.name, currentDocument: { updateTime: toTimestamp(document.updateTime) } },
      ]);
      deleted++;
    } catch {
      // Rewritten since (FAILED_PRECONDITION) or locked past the wait (ABORTED): looked at again next sweep.
    }
  }
  return deleted;
}

/** The sweep of a TTL configuration, checked at once: start() sweeps every interval until stop(), which waits for one under way. */
export function ttlSweep(db: Database, options: TtlOptions): { start(): void; stop(): Promise<void> } {
  const policies = checkTtlPolicies(options.policies);
  const interval = options.sweepIntervalMs ?? DEFAULT_TTL_SWEEP_MS;
  if (!(interval > 0)) throw new Error(`ttl.sweepIntervalMs must be above 0, got ${interval}`);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> = Promise.resolve();
  const schedule = (): void => {
    timer = setTimeout(() => {
      sweeping = sweepExpired(db, policies, () => stopped).finally(() => {
        if (!stopped) schedule();
      });
    }, interval);
    timer.unref();
  };
  return {
    start: () => {
      if (policies.length > 0) schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await sweeping;
    },
  };
}

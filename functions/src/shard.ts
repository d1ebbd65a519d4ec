// The shard of a stored document (docs/contract.md §3, §4). Every index that ends in a time field starts
// with `shard`, so the writes that index takes are spread over SHARDS ranges instead of all landing at the
// end of one: Firestore takes about 500 writes/s into one range of sequential values (docs/capacity.md).
// Newest-first listings read the shards in groups of SHARDS_PER_QUERY through `shard in [...]` and merge.
import { createHash } from "node:crypto";

/** How many ranges each time-ordered index is cut into; docs/capacity.md derives the number. */
export const SHARDS = 90;

/** Firestore's limit on the values of one `in` filter (its disjunction limit). */
export const SHARDS_PER_QUERY = 30;

/** The shard of a document id: the first four bytes of its SHA-256, big-endian, modulo SHARDS. */
export function shardOf(id: string): number {
  return createHash("sha256").update(id).digest().readUInt32BE(0) % SHARDS;
}

/** Every shard, in the groups one `in` filter each can name. */
export const shardGroups: readonly (readonly number[])[] = Array.from(
  { length: Math.ceil(SHARDS / SHARDS_PER_QUERY) },
  (_, group) =>
    Array.from(
      { length: Math.min(SHARDS_PER_QUERY, SHARDS - group * SHARDS_PER_QUERY) },
      (_, index) => group * SHARDS_PER_QUERY + index,
    ),
);

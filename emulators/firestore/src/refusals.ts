import { fieldRefusal } from "@scan-ingest/emulator-shared/refusals";

/**
 * Request fields the embedded emulator does not implement, per method, as camelCase paths from the request.
 * A request that sets one is refused UNIMPLEMENTED naming it, never answered as if it were absent.
 * test/proto-walk.test.ts proves every other field of these methods is honoured.
 */
export const REFUSED_FIELDS: Record<string, string[]> = {
  // Google's emulator ignores explain options too (documents, no metrics: the SDK's "No explain results").
  RunQuery: ["explainOptions"],
  RunAggregationQuery: ["explainOptions"],
  ListDocuments: ["orderBy"],
  ListCollectionIds: ["readTime"],
  BatchWrite: ["labels"],
  Commit: ["writes.update.createTime", "writes.update.updateTime"],
  BatchGetDocuments: [],
  Listen: ["labels"],
};

/** UNIMPLEMENTED naming the first refused field the request sets; requests decode without defaults (protos.ts). */
export function refuseUnimplemented(method: string, request: unknown): void {
  const error = fieldRefusal("Firestore", method, REFUSED_FIELDS[method] ?? [], request, "absent");
  if (error) throw error;
}

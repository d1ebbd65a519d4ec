import { unimplemented } from "@scan-ingest/emulator-shared/status";

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

const snake = (path: string): string => path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Whether a decoded request sets the field at `path` (in any array element). Requests decode without defaults,
 * so a field is there only if sent: an empty message counts (explain() sends explain_options {}), while an
 * empty map never reaches the decoded request.
 */
function isSet(value: unknown, path: string[]): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.some((element) => isSet(element, path));
  if (path.length === 0) return true;
  const [head, ...rest] = path as [string, ...string[]];
  return isSet((value as Record<string, unknown>)[head], rest);
}

/** UNIMPLEMENTED naming the first refused field the request sets. */
export function refuseUnimplemented(method: string, request: unknown): void {
  for (const path of REFUSED_FIELDS[method] ?? []) {
    if (isSet(request, path.split(".")))
      throw unimplemented(
        `${method}: the field ${snake(path)} is not implemented by the embedded Firestore emulator.`,
      );
  }
}

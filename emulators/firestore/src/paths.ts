import { invalidArgument } from "@scan-ingest/emulator-shared/status";

const MAX_ID_BYTES = 1500;

/** A resource name split into its database ("projects/p/databases/d") and the path below "documents". */
export interface ResourceName {
  database: string;
  segments: string[];
}

/** Parses "projects/p/databases/d/documents[/path...]"; INVALID_ARGUMENT when malformed. */
export function parseName(name: string): ResourceName {
  const parts = name.split("/");
  if (parts.length < 5 || parts[0] !== "projects" || parts[2] !== "databases" || parts[4] !== "documents") {
    throw invalidArgument(`Invalid resource name: "${name}"`);
  }
  const segments = parts.slice(5);
  if (segments.some((segment) => segment === "")) throw invalidArgument(`Invalid resource name: "${name}"`);
  return { database: parts.slice(0, 4).join("/"), segments };
}

/** Parses a document name: an even, non-zero number of segments below "documents". */
export function parseDocumentName(name: string): ResourceName {
  const parsed = parseName(name);
  if (parsed.segments.length === 0 || parsed.segments.length % 2 !== 0) {
    throw invalidArgument(`Document name "${name}" has odd number of segments`);
  }
  return parsed;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The integer of a numeric document id "__id<int64>__" (canonical decimal), else undefined. */
export function numericId(id: string): bigint | undefined {
  const match = /^__id(0|-?[1-9][0-9]*)__$/.exec(id);
  if (!match) return undefined;
  const n = BigInt(match[1] as string);
  return n >= INT64_MIN && n <= INT64_MAX ? n : undefined;
}

/** The reason Firestore refuses an id, or undefined for a valid one; a document id may be "__id<int64>__". */
export function invalidIdReason(id: string, documentId = false): string | undefined {
  if (id === "." || id === "..") return `"${id}" is not a valid id`;
  if (/^__.*__$/.test(id) && !(documentId && numericId(id) !== undefined))
    return `ids matching __.*__ are reserved (but for document ids __id<int64>__): "${id}"`;
  if (Buffer.byteLength(id, "utf8") > MAX_ID_BYTES) return `an id may hold at most ${MAX_ID_BYTES} bytes`;
  return undefined;
}

/** Refuses a document name with a reserved or oversized id in any segment, as Firestore does on writes. */
export function validateWritableName(name: string): void {
  const { segments } = parseDocumentName(name);
  for (const [i, segment] of segments.entries()) {
    const reason = invalidIdReason(segment, i % 2 === 1);
    if (reason) throw invalidArgument(`Invalid document name "${name}": ${reason}`);
  }
}

/** The collection a document belongs to: "projects/p/databases/d/documents/a/b/c" for ".../c/d". */
export const collectionOf = (documentName: string): string =>
  documentName.slice(0, documentName.lastIndexOf("/"));

/** The id of the last segment of a name. */
export const lastSegment = (name: string): string => name.slice(name.lastIndexOf("/") + 1);

/** Splits a field path ("a.b", "a.`x.y`", "`back\\`tick`") into its segments. */
export function parseFieldPath(path: string): string[] {
  const segments: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < path.length; i++) {
    const char = path[i] as string;
    if (quoted && char === "\\") {
      current += path[++i] ?? "";
    } else if (char === "`") {
      quoted = !quoted;
    } else if (char === "." && !quoted) {
      segments.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  segments.push(current);
  if (quoted || segments.some((segment) => segment === ""))
    throw invalidArgument(`Invalid field path: "${path}"`);
  return segments;
}

import { invalidArgument } from "./status.ts";

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

/** The reason Firestore refuses an id, or undefined for a valid one. */
export function invalidIdReason(id: string): string | undefined {
  if (id === "." || id === "..") return `"${id}" is not a valid id`;
  if (/^__.*__$/.test(id)) return `ids matching __.*__ are reserved: "${id}"`;
  if (Buffer.byteLength(id, "utf8") > MAX_ID_BYTES) return `an id may hold at most ${MAX_ID_BYTES} bytes`;
  return undefined;
}

/** Refuses a document name with a reserved or oversized id in any segment, as Firestore does on writes. */
export function validateWritableName(name: string): void {
  const { segments } = parseDocumentName(name);
  for (const segment of segments) {
    const reason = invalidIdReason(segment);
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

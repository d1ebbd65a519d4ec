import { notFound } from "@scan-ingest/emulator-shared/status";
import { documentKey, type Database } from "./database.ts";
import { projectFields } from "./fields.ts";
import { parseDocumentName, parseFieldPath, parseName } from "./paths.ts";
import type { DocumentVersion } from "./store.ts";
import { toTimestamp, type Micros } from "./time.ts";
import { compareReferences } from "./values.ts";
import type { Document, DocumentMask, ReadConsistency, Timestamp } from "./wire.ts";

/** The wire form of a stored document, restricted to the mask's paths when one is given. */
export function toWire(document: DocumentVersion, mask?: DocumentMask): Document {
  const fields = mask
    ? projectFields(document.fields, (mask.fieldPaths ?? []).map(parseFieldPath))
    : document.fields;
  return {
    name: document.name,
    fields,
    createTime: toTimestamp(document.createTime),
    updateTime: toTimestamp(document.updateTime),
  };
}

export interface GetDocumentRequest extends ReadConsistency {
  name: string;
  mask?: DocumentMask;
}

/** GetDocument: NOT_FOUND when missing (still one billed read). */
export async function getDocument(db: Database, request: GetDocumentRequest): Promise<Document> {
  const { database } = parseDocumentName(request.name);
  const { value } = await db.read(database, request, [documentKey(request.name)], (time) =>
    db.store.read(request.name, time),
  );
  db.counters.documentsRead += 1;
  if (!value) throw notFound(`Document "${request.name}" not found`);
  return toWire(value, request.mask);
}

export interface BatchGetDocumentsRequest extends ReadConsistency {
  database: string;
  documents?: string[];
  mask?: DocumentMask;
}

export interface BatchGetDocumentsResponse {
  found?: Document;
  missing?: string;
  readTime: Timestamp;
  transaction?: Buffer;
}

/** BatchGetDocuments: one response per requested name, all read at one point; the first carries a new transaction's id. */
export async function batchGetDocuments(
  db: Database,
  request: BatchGetDocumentsRequest,
): Promise<BatchGetDocumentsResponse[]> {
  const names = request.documents ?? [];
  for (const name of names) parseDocumentName(name);
  const keys = names.map(documentKey);
  const { value, readTime, transaction } = await db.read(request.database, request, keys, (time) =>
    names.map((name) => ({ name, document: db.store.read(name, time) })),
  );
  db.counters.documentsRead += names.length;
  const responses: BatchGetDocumentsResponse[] = value.map(({ name, document }) =>
    document
      ? { found: toWire(document, request.mask), readTime: toTimestamp(readTime) }
      : { missing: name, readTime: toTimestamp(readTime) },
  );
  if (transaction) {
    if (responses[0]) responses[0].transaction = transaction;
    else responses.push({ readTime: toTimestamp(readTime), transaction });
  }
  return responses;
}

/** Names of all documents, existing at `time`, strictly below `parent` (a database or a document name). */
function descendants(db: Database, parent: string, time: Micros): DocumentVersion[] {
  const prefix = `${parent}/`;
  return [...db.store.documentsAt(time)].filter((document) => document.name.startsWith(prefix));
}

export interface ListDocumentsRequest extends ReadConsistency {
  parent: string;
  collectionId?: string;
  pageSize?: number;
  pageToken?: string;
  mask?: DocumentMask;
  showMissing?: boolean;
}

/** ListDocuments: a collection's documents by name; with showMissing, also absent parents of subcollections. */
export async function listDocuments(db: Database, request: ListDocumentsRequest) {
  const { database } = parseName(request.parent);
  const collection = `${request.parent}/${request.collectionId ?? ""}`;
  const { value: all } = await db.read(database, request, [], (time) => descendants(db, collection, time));
  const byName = new Map<string, Document>();
  for (const document of all) {
    const rest = document.name.slice(collection.length + 1).split("/");
    const name = `${collection}/${rest[0]}`;
    if (rest.length === 1) byName.set(name, toWire(document, request.mask));
    else if (request.showMissing && !byName.has(name)) byName.set(name, { name });
  }
  const sorted = [...byName.values()].sort((a, b) => compareReferences(a.name ?? "", b.name ?? ""));
  const { page, nextPageToken } = paginate(sorted, request.pageSize, request.pageToken);
  db.counters.documentsRead += Math.max(1, page.length);
  return { documents: page, nextPageToken };
}

export interface ListCollectionIdsRequest {
  parent: string;
  pageSize?: number;
  pageToken?: string;
}

/** ListCollectionIds: the ids of collections directly below a document (or the root) holding any document. */
export async function listCollectionIds(db: Database, request: ListCollectionIdsRequest) {
  parseName(request.parent);
  const ids = new Set<string>();
  for (const document of descendants(db, request.parent, db.clock())) {
    ids.add(document.name.slice(request.parent.length + 1).split("/")[0] as string);
  }
  const { page, nextPageToken } = paginate([...ids].sort(), request.pageSize, request.pageToken);
  return { collectionIds: page, nextPageToken };
}

/** One page of a sorted list; the token is the offset of the next page. */
function paginate<T>(items: T[], pageSize = 0, pageToken = ""): { page: T[]; nextPageToken: string } {
  const start = Number(pageToken || 0);
  const end = pageSize > 0 ? start + pageSize : items.length;
  return { page: items.slice(start, end), nextPageToken: end < items.length ? String(end) : "" };
}

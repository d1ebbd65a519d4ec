import { invalidArgument } from "@scan-ingest/emulator-shared/status";
import type { Database } from "./database.ts";
import { toWire } from "./documents.ts";
import { collectionOf, lastSegment, parseDocumentName } from "./paths.ts";
import { projected, queryMatcher, runStructuredQuery } from "./query.ts";
import type { DocumentVersion } from "./store.ts";
import { toTimestamp, type Micros } from "./time.ts";
import type { Document, StructuredQuery, Timestamp } from "./wire.ts";

/** One ListenResponse, in the wire shape of google.firestore.v1.ListenResponse. */
export interface ListenResponse {
  targetChange?: {
    targetChangeType: "NO_CHANGE" | "ADD" | "REMOVE" | "CURRENT" | "RESET";
    targetIds: number[];
    cause?: { code: number; message: string };
    resumeToken?: Buffer;
    readTime?: Timestamp;
  };
  documentChange?: { document: Document; targetIds: number[]; removedTargetIds: number[] };
  documentDelete?: { document: string; removedTargetIds: number[]; readTime: Timestamp };
  documentRemove?: { document: string; removedTargetIds: number[]; readTime: Timestamp };
  filter?: { targetId: number; count: number };
}

/** What a target watches: named documents, or a query below a parent. */
export type TargetSpec = { documents: string[] } | { parent: string; query: StructuredQuery };

/** The index keys of the documents a commit wrote, matching the keys of the targets that may see them. */
export function keysOfDocument(name: string): string[] {
  const collection = collectionOf(name);
  return [`d|${name}`, `c|${collection}`, `g|${lastSegment(collection)}`, "*"];
}

/** A Listen target: what it watches and the version of each result the client was last sent. */
export class WatchTarget {
  readonly id: number;
  /** Index keys: a commit to a document with one of these keys may change this target's results. */
  readonly keys: string[];
  private readonly db: Database;
  private readonly spec: TargetSpec;
  private readonly admits: (document: DocumentVersion) => boolean;
  /** Whether one changed document can be judged alone; with a limit or offset the whole query must rerun. */
  private readonly incremental: boolean;
  private readonly sent = new Map<string, Micros>();

  constructor(db: Database, id: number, spec: TargetSpec) {
    this.db = db;
    this.id = id;
    this.spec = spec;
    if ("documents" in spec) {
      for (const name of spec.documents) parseDocumentName(name);
      const names = new Set(spec.documents);
      this.admits = (document) => names.has(document.name);
      this.keys = spec.documents.map((name) => `d|${name}`);
      this.incremental = true;
    } else {
      if (spec.query.findNearest)
        throw invalidArgument("findNearest: vector search is not supported by listeners (Listen)");
      this.admits = queryMatcher(spec.parent, spec.query);
      this.keys = (spec.query.from ?? []).map(({ collectionId, allDescendants }) =>
        !allDescendants ? `c|${spec.parent}/${collectionId ?? ""}` : collectionId ? `g|${collectionId}` : "*",
      );
      this.incremental = spec.query.limit === undefined && !spec.query.offset;
    }
  }

  /** How many results the client holds. */
  get size(): number {
    return this.sent.size;
  }

  /** Forgets what the client holds, as after a RESET. */
  reset(): void {
    this.sent.clear();
  }

  private results(time: Micros): DocumentVersion[] {
    if ("documents" in this.spec)
      return this.spec.documents.flatMap((name) => this.db.store.read(name, time) ?? []);
    return runStructuredQuery(this.db, this.spec.parent, this.spec.query, time);
  }

  /**
   * The messages that bring the client from what it was sent to the results at `time`. `changed` names the
   * documents written since; a target that can judge them one by one looks at those alone.
   */
  diff(time: Micros, changed?: Iterable<string>): ListenResponse[] {
    const now = new Map<string, DocumentVersion>();
    let considered: Iterable<string>;
    if (changed && this.incremental) {
      considered = changed;
      for (const name of changed) {
        const document = this.db.store.read(name, time);
        if (document && this.admits(document)) now.set(name, document);
      }
    } else {
      for (const document of this.results(time)) now.set(document.name, document);
      considered = new Set([...this.sent.keys(), ...now.keys()]);
    }
    const messages: ListenResponse[] = [];
    const readTime = toTimestamp(time);
    for (const name of considered) {
      const document = now.get(name);
      const previous = this.sent.get(name);
      if (document) {
        if (previous === document.updateTime) continue;
        this.sent.set(name, document.updateTime);
        const wire = toWire("query" in this.spec ? projected(document, this.spec.query) : document);
        messages.push({ documentChange: { document: wire, targetIds: [this.id], removedTargetIds: [] } });
      } else if (previous !== undefined) {
        this.sent.delete(name);
        const gone = { document: name, removedTargetIds: [this.id], readTime };
        // Deleted: document_delete; still there but no longer a result: document_remove.
        messages.push(this.db.store.read(name, time) ? { documentRemove: gone } : { documentDelete: gone });
      }
    }
    return messages;
  }
}

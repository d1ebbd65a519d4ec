import { OrderedIndex, OrderedIndexes } from "./ordered-index.ts";
import { collectionOf, lastSegment } from "./paths.ts";
import type { Micros } from "./time.ts";
import type { Fields, Order } from "./wire.ts";

/** One version of a document as stored: immutable once installed. */
export interface DocumentVersion {
  name: string;
  fields: Fields;
  createTime: Micros;
  updateTime: Micros;
}

/** A point in a document's history: the version installed at `time`, or its deletion. */
interface HistoryEntry {
  time: Micros;
  document: DocumentVersion | undefined; // undefined: deleted at this time
}

/**
 * How long a superseded version stays readable, unless the emulator is told otherwise. Firestore serves reads
 * at any time within the last hour; kept that long here, every write of a busy local pipeline stayed in
 * memory for an hour. A minute covers transactions (ended after a minute idle) and paged reads at one time.
 */
export const DEFAULT_KEEP_VERSIONS_SECONDS = 60;

/** All documents of all databases, each with its recent versions, so past snapshots stay readable. */
export class DocumentStore {
  /** Versions superseded longer ago than this are dropped as documents change. */
  readonly keepMicros: Micros;
  private readonly documents = new Map<string, HistoryEntry[]>();
  /** The names in `documents` by collection, so a query on one collection walks only its own documents. */
  private readonly collections = new Map<string, Set<string>>();
  private readonly indexes = new OrderedIndexes();
  /** The time of the newest version installed: a read at or after it sees every document's newest version. */
  newestTime: Micros = 0;
  /** Reads before this time may miss versions dropped since: the latest first kept version of any pruned history. */
  incompleteBefore: Micros = 0;

  constructor(keepVersionsSeconds = DEFAULT_KEEP_VERSIONS_SECONDS) {
    this.keepMicros = keepVersionsSeconds * 1e6;
  }

  /** The document as of `time` (the newest version no later than it), or undefined if missing then. */
  read(name: string, time: Micros): DocumentVersion | undefined {
    const history = this.documents.get(name);
    if (!history) return undefined;
    for (let i = history.length - 1; i >= 0; i--) {
      const entry = history[i] as HistoryEntry;
      if (entry.time <= time) return entry.document;
    }
    return undefined;
  }

  /** Installs a new version at `time`, later than every version installed before. */
  install(name: string, document: DocumentVersion | undefined, time: Micros): void {
    const history = this.documents.get(name) ?? [];
    const previous = history[history.length - 1]?.document;
    history.push({ time, document });
    const cutoff = time - this.keepMicros;
    let keepFrom = 0;
    while (keepFrom + 1 < history.length && (history[keepFrom + 1] as HistoryEntry).time <= cutoff)
      keepFrom++;
    if (keepFrom > 0) {
      this.incompleteBefore = Math.max(this.incompleteBefore, (history[keepFrom] as HistoryEntry).time);
      history.splice(0, keepFrom);
    }
    const collection = collectionOf(name);
    if (history.length === 1 && document === undefined) {
      this.documents.delete(name);
      const names = this.collections.get(collection);
      names?.delete(name);
      if (names?.size === 0) this.collections.delete(collection);
    } else {
      this.documents.set(name, history);
      let names = this.collections.get(collection);
      if (!names) this.collections.set(collection, (names = new Set()));
      names.add(name);
    }
    this.indexes.replace(collection, previous, document);
    this.newestTime = Math.max(this.newestTime, time);
  }

  /** Every document that exists at `time`, in no particular order. */
  *documentsAt(time: Micros): Iterable<DocumentVersion> {
    for (const name of this.documents.keys()) {
      const document = this.read(name, time);
      if (document) yield document;
    }
  }

  /** The documents directly in `collection` that exist at `time`, in no particular order. */
  *documentsIn(collection: string, time: Micros): Iterable<DocumentVersion> {
    for (const name of this.collections.get(collection) ?? []) {
      const document = this.read(name, time);
      if (document) yield document;
    }
  }

  /** The documents of every collection named `collectionId` (a collection group) that exist at `time`. */
  *documentsInGroup(collectionId: string, time: Micros): Iterable<DocumentVersion> {
    for (const collection of this.collections.keys())
      if (lastSegment(collection) === collectionId) yield* this.documentsIn(collection, time);
  }

  /** The newest documents of `collection` that have every order field, sorted: built on first use, then kept current. */
  orderedIndex(collection: string, orders: Order[]): OrderedIndex {
    return this.indexes.get(collection, orders, () => this.documentsIn(collection, this.newestTime));
  }

  clear(): void {
    this.documents.clear();
    this.collections.clear();
    this.indexes.clear();
  }
}

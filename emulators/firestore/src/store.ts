import type { Micros } from "./time.ts";
import type { Fields } from "./wire.ts";

/** One version of a document as stored: immutable once installed. */
export interface StoredDocument {
  name: string;
  fields: Fields;
  createTime: Micros;
  updateTime: Micros;
}

interface Version {
  time: Micros;
  document: StoredDocument | undefined; // undefined: deleted at this time
}

// Firestore serves reads at any time within the last hour; older versions are dropped as documents change.
const HISTORY_MICROS = 3600 * 1e6;

/** All documents of all databases, each with its recent versions, so past snapshots stay readable. */
export class DocumentStore {
  private readonly documents = new Map<string, Version[]>();

  /** The document as of `time` (the newest version no later than it), or undefined if missing then. */
  read(name: string, time: Micros): StoredDocument | undefined {
    const versions = this.documents.get(name);
    if (!versions) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) {
      const version = versions[i] as Version;
      if (version.time <= time) return version.document;
    }
    return undefined;
  }

  /** Installs a new version at `time`, later than every version installed before. */
  install(name: string, document: StoredDocument | undefined, time: Micros): void {
    const versions = this.documents.get(name) ?? [];
    versions.push({ time, document });
    const cutoff = time - HISTORY_MICROS;
    let keepFrom = 0;
    while (keepFrom + 1 < versions.length && (versions[keepFrom + 1] as Version).time <= cutoff) keepFrom++;
    if (keepFrom > 0) versions.splice(0, keepFrom);
    if (versions.length === 1 && document === undefined) this.documents.delete(name);
    else this.documents.set(name, versions);
  }

  /** Every document that exists at `time`, in no particular order. */
  *documentsAt(time: Micros): Iterable<StoredDocument> {
    for (const name of this.documents.keys()) {
      const document = this.read(name, time);
      if (document) yield document;
    }
  }

  clear(): void {
    this.documents.clear();
  }
}

import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { deserialize, serialize } from "node:v8";
import type { Database } from "./database.ts";
import type { DocumentVersion } from "./store.ts";

// One file of the latest version of every document; history and transactions are not kept.
const FILE = "firestore-documents.v8";

interface Saved {
  format: 1;
  documents: DocumentVersion[];
}

/** Loads the documents saved in `dataDir`, if any. */
export async function load(db: Database, dataDir: string): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(dataDir, FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const saved = deserialize(bytes) as Saved;
  const time = db.clock();
  for (const document of saved.documents) db.store.install(document.name, document, time);
}

/** Saves the latest version of every document to `dataDir`, replacing the file atomically. */
export async function save(db: Database, dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const saved: Saved = { format: 1, documents: [...db.store.documentsAt(db.clock())] };
  const target = path.join(dataDir, FILE);
  await writeFile(`${target}.tmp`, serialize(saved));
  await rename(`${target}.tmp`, target);
}

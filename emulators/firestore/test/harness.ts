import { randomUUID } from "node:crypto";
import { Firestore, type CollectionReference, type DocumentData } from "@google-cloud/firestore";
import { afterAll, beforeAll } from "vitest";
import { emulatorTarget } from "@scan-ingest/emulator-shared/target";
import { start, type FirestoreEmulator } from "../src/index.ts";

/** The emulator under test: FIRESTORE_EMULATOR_HOST when set (Google's emulator, say), else the embedded one. */
export interface Target {
  host: string;
  projectId: string;
  /**
   * "embedded": the harness started the embedded emulator (no FIRESTORE_EMULATOR_HOST); "google": an external
   * emulator, which is Google's. Tests branch on it only where the two differ by design (a parity row).
   */
  kind: "embedded" | "google";
  /** Present only when the suite runs against the embedded emulator. */
  embedded: FirestoreEmulator | undefined;
  firestore: Firestore;
  /** Another client with its own channel, as a second process would have. */
  connect(settings?: ConstructorParameters<typeof Firestore>[0]): Firestore;
  close(): Promise<void>;
}

/**
 * Connects to the target emulator in beforeAll, runs the file's `setup` with it (to keep its client, to seed
 * data), and closes it in afterAll. The returned target is filled in once connected: use it in tests and hooks.
 */
export function useTarget(setup?: (target: Target) => unknown): Target {
  const target: Partial<Target> = {};
  beforeAll(async () => {
    await setup?.(Object.assign(target, await connectTarget()));
  });
  afterAll(() => target.close?.());
  return target as Target;
}

/** Connects the SDK to the target emulator. */
async function connectTarget(): Promise<Target> {
  // No Google metadata server exists here; without this the SDK looks for one and warns.
  process.env.METADATA_SERVER_DETECTION ??= "none";
  const { host, embedded, stop } = await emulatorTarget("FIRESTORE_EMULATOR_HOST", () => start());
  const projectId = process.env.GOOGLE_CLOUD_PROJECT ?? "conformance";
  const clients: Firestore[] = [];
  const connect = (settings: ConstructorParameters<typeof Firestore>[0] = {}): Firestore => {
    const client = new Firestore({
      projectId,
      host,
      ssl: false,
      customHeaders: { Authorization: "Bearer owner" },
      ...settings,
    });
    clients.push(client);
    return client;
  };
  return {
    host,
    projectId,
    kind: embedded ? "embedded" : "google",
    embedded,
    firestore: connect(),
    connect,
    async close() {
      await Promise.all(clients.map((client) => client.terminate()));
      await stop();
    },
  };
}

/** A collection name no other test uses, so tests need no clearing between them. */
export const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A new collection holding `documents` by id. */
export async function seed(
  db: Firestore,
  prefix: string,
  documents: Record<string, DocumentData>,
): Promise<CollectionReference> {
  const collection = db.collection(unique(prefix));
  const batch = db.batch();
  for (const [id, data] of Object.entries(documents)) batch.set(collection.doc(id), data);
  await batch.commit();
  return collection;
}

/** The gRPC status code of a rejected promise (undefined if it resolved). */
export async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

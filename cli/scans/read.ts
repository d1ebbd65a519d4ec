// The three reads `scans` makes, each one simple Firestore query (firestore.indexes.json serves them).
import { withDeadline } from "@scan-ingest/functions/deadline";
import { Firestore, Timestamp, type Query } from "@google-cloud/firestore";
import type { Config } from "@scan-ingest/functions/config";
import { emulatorFirestore } from "@scan-ingest/pipeline/clients";
import type { ScansRequest } from "./args.ts";
import type { StoredDocument } from "./format.ts";

/** Firestore gives no answer within this time: reported as unreachable instead of waiting on retries. */
export const READ_TIMEOUT_MS = 10_000;

/** The Firestore the configuration names: the emulator at FIRESTORE_EMULATOR_HOST, or Google's through ADC. */
export function openFirestore(config: Config): Firestore {
  const project = config.projectId === undefined ? {} : { projectId: config.projectId };
  if (config.firestoreEmulatorHost === undefined) return new Firestore(project);
  // What the client itself does when it finds FIRESTORE_EMULATOR_HOST, but from the configuration.
  return emulatorFirestore({ host: config.firestoreEmulatorHost, projectId: config.projectId });
}

/** The stored service under `key`, if any. */
export async function readService(
  db: Firestore,
  config: Config,
  key: string,
): Promise<StoredDocument | undefined> {
  const snapshot = await withTimeout(db.collection(config.servicesCollection).doc(key).get(), config);
  return snapshot.exists ? { id: snapshot.id, data: snapshot.data() ?? {} } : undefined;
}

/** Services matching every given filter, newest `scannedAt` first. */
export async function readServices(
  db: Firestore,
  config: Config,
  request: Extract<ScansRequest, { command: "list" }>,
): Promise<StoredDocument[]> {
  let query: Query = db.collection(config.servicesCollection);
  if (request.ip !== undefined) query = query.where("ip", "==", request.ip);
  if (request.port !== undefined) query = query.where("port", "==", request.port);
  if (request.service !== undefined) query = query.where("service", "==", request.service);
  if (request.since !== undefined) query = query.where("scannedAt", ">=", Timestamp.fromDate(request.since));
  return documents(query.orderBy("scannedAt", "desc").limit(request.limit), config);
}

/** Rejected messages, of one reason when given, newest `rejectedAt` first. */
export async function readRejects(
  db: Firestore,
  config: Config,
  request: Extract<ScansRequest, { command: "rejects" }>,
): Promise<StoredDocument[]> {
  let query: Query = db.collection(config.rejectsCollection);
  if (request.reason !== undefined) query = query.where("reason", "==", request.reason);
  return documents(query.orderBy("rejectedAt", "desc").limit(request.limit), config);
}

async function documents(query: Query, config: Config): Promise<StoredDocument[]> {
  const snapshot = await withTimeout(query.get(), config);
  return snapshot.docs.map((document) => ({ id: document.id, data: document.data() }));
}

function withTimeout<T>(read: Promise<T>, config: Config): Promise<T> {
  const where =
    config.firestoreEmulatorHost === undefined
      ? `Firestore (project ${config.projectId ?? "from Application Default Credentials"})`
      : `the Firestore emulator at ${config.firestoreEmulatorHost}`;
  return withDeadline(
    read,
    READ_TIMEOUT_MS,
    () => new Error(`no answer from ${where} within ${READ_TIMEOUT_MS / 1000} s`),
  );
}

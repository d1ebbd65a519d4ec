// The reads `scans` makes: a document, a service's history, and the first page of the read API's own listings
// (read.ts), so
// `scans` and the API list the same documents in the same order through the same indexes.
import { withDeadline } from "@scan-ingest/functions/deadline";
import { firestoreReader, type Stored } from "@scan-ingest/functions/api/read";
import type { Cursor } from "@scan-ingest/functions/api/token";
import { Firestore } from "@google-cloud/firestore";
import type { Config } from "@scan-ingest/functions/config";
import { emulatorFirestore } from "@scan-ingest/pipeline/clients";
import type { ScansRequest } from "./args.ts";

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
export async function readService(db: Firestore, config: Config, key: string): Promise<Stored | undefined> {
  const snapshot = await withTimeout(db.collection(config.servicesCollection).doc(key).get(), config);
  return snapshot.exists ? { id: snapshot.id, data: snapshot.data() ?? {} } : undefined;
}

/** Services matching every given filter, newest `scannedAt` first. */
export async function readServices(
  db: Firestore,
  config: Config,
  request: Extract<ScansRequest, { command: "list" }>,
): Promise<Stored[]> {
  const { ip, port, service, since } = request;
  const filters = { ip, port, service, since };
  return items(firestoreReader(db, config).services(filters, request.limit, undefined), config);
}

/** Rejected messages, of one reason when given, newest `rejectedAt` first. */
export async function readRejects(
  db: Firestore,
  config: Config,
  request: Extract<ScansRequest, { command: "rejects" }>,
): Promise<Stored[]> {
  const filters = { reason: request.reason };
  return items(firestoreReader(db, config).rejects(filters, request.limit, undefined), config);
}

/** A service's history, newest lastSeen first, page after page up to the request's limit. */
export async function readHistory(
  db: Firestore,
  config: Config,
  request: Extract<ScansRequest, { command: "history" }>,
): Promise<Stored[] | undefined> {
  const reader = firestoreReader(db, config);
  const found: Stored[] = [];
  let cursor: Cursor | undefined;
  do {
    const page = await withTimeout(reader.history(request.key, request.limit - found.length, cursor), config);
    if (page === undefined) return undefined;
    found.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined && found.length < request.limit);
  return found;
}

async function items(page: Promise<{ items: Stored[] }>, config: Config): Promise<Stored[]> {
  return (await withTimeout(page, config)).items;
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

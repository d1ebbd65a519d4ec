// Test harness: the real functions-framework server on a free port, against a Firestore emulator.
// With FIRESTORE_EMULATOR_HOST set, the storage tests run against that emulator (e.g. Google's);
// otherwise they start the embedded one, whose counters and faults only some tests use.
import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";
import { Firestore } from "@google-cloud/firestore";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { emulatorTarget, type EmulatorTarget } from "@scan-ingest/emulator-shared/target";

export const projectId = DEFAULT_PROJECT;

/** The embedded emulator's handle, as `@scan-ingest/emulator-firestore` returns it. */
export type EmbeddedFirestore = Awaited<ReturnType<typeof import("@scan-ingest/emulator-firestore").start>>;

export type FirestoreTarget = EmulatorTarget<EmbeddedFirestore>;

/** An external emulator when FIRESTORE_EMULATOR_HOST is set (unless `embedded`), else a new embedded one. */
export async function startFirestore(options: { embedded?: boolean } = {}): Promise<FirestoreTarget> {
  const start = async () => (await import("@scan-ingest/emulator-firestore")).start({ port: 0, projectId });
  if (!options.embedded) return emulatorTarget("FIRESTORE_EMULATOR_HOST", start);
  const embedded = await start();
  return { host: embedded.host, embedded, stop: () => embedded.stop() };
}

export interface FunctionServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Load the function with this environment and serve it through functions-framework's own server.
 * The function reads its configuration once, at import: call this once per test file.
 */
export async function startFunction(
  env: Record<string, string>,
  options: { storeDeadlineMs?: number } = {},
): Promise<FunctionServer> {
  Object.assign(process.env, env);
  if (options.storeDeadlineMs === undefined) {
    await import("../src/index.ts");
  } else {
    // The same parts as index.ts, with a deadline short enough for a test.
    const { loadConfig } = await import("../src/config.ts");
    const { createIngestScan } = await import("../src/ingest.ts");
    const { createFirestore, firestoreStore } = await import("../src/store.ts");
    const { logToStdout } = await import("../src/log.ts");
    const config = loadConfig();
    const store = firestoreStore(createFirestore(config), config);
    const ingestScan = createIngestScan({ config, store: () => store, log: logToStdout, ...options });
    (await import("@google-cloud/functions-framework")).cloudEvent("ingestScan", ingestScan);
  }
  const { getTestServer } = await import("@google-cloud/functions-framework/testing");
  // functions-framework's own HTTP server (express, body parsers, Pub/Sub push conversion), listening for real.
  const server: Server = getTestServer("ingestScan");
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A client for reading what the function wrote. */
export function firestoreClient(host: string): Firestore {
  return new Firestore({ projectId, host, ssl: false, customHeaders: { Authorization: "Bearer owner" } });
}

/** Collection names unique to one test file, so files can share an emulator. */
export function uniqueCollections(prefix: string): { services: string; rejects: string } {
  const suffix = `${prefix}-${process.pid}-${Date.now().toString(36)}`;
  return { services: `services-${suffix}`, rejects: `rejects-${suffix}` };
}

export interface PubsubMessageFields {
  data: string | Buffer;
  messageId: string;
  publishTime?: string;
  attributes?: Record<string, string>;
}

export type Mode = "structured" | "binary" | "push";

/** Deliver one Pub/Sub message the way Eventarc (structured or binary CloudEvent) or a push subscription would. */
export async function deliver(url: string, mode: Mode, message: PubsubMessageFields): Promise<Response> {
  const data = Buffer.isBuffer(message.data) ? message.data : Buffer.from(message.data, "utf8");
  const pubsubMessage = {
    data: data.toString("base64"),
    attributes: message.attributes ?? {},
    messageId: message.messageId,
    message_id: message.messageId,
    publishTime: message.publishTime ?? new Date().toISOString(),
    publish_time: message.publishTime ?? new Date().toISOString(),
  };
  const subscription = `projects/${projectId}/subscriptions/ingest`;
  const context = {
    specversion: "1.0",
    id: message.messageId,
    source: `//pubsub.googleapis.com/projects/${projectId}/topics/scan-topic`,
    type: "google.cloud.pubsub.topic.v1.messagePublished",
    time: pubsubMessage.publishTime,
  };
  const body = { message: pubsubMessage, subscription };
  if (mode === "push") {
    return post(
      `${url}/projects/${projectId}/topics/scan-topic`,
      { "content-type": "application/json" },
      body,
    );
  }
  if (mode === "structured") {
    const event = { ...context, datacontenttype: "application/json", data: body };
    return post(url, { "content-type": "application/cloudevents+json" }, event);
  }
  const headers = Object.fromEntries(Object.entries(context).map(([name, value]) => [`ce-${name}`, value]));
  return post(url, { ...headers, "content-type": "application/json" }, body);
}

/** POST JSON and read the whole response, so connections are reused. */
export async function post(url: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  await response.arrayBuffer();
  return response;
}

/** A scan as the scanner publishes it (v2 unless the response is bytes). */
export function scanJson(fields: {
  ip?: string;
  port?: number;
  service?: string;
  timestamp: number;
  response: string;
}): string {
  return JSON.stringify({
    ip: fields.ip ?? "1.1.1.7",
    port: fields.port ?? 443,
    service: fields.service ?? "HTTP",
    timestamp: fields.timestamp,
    data_version: 2,
    data: { response_str: fields.response },
  });
}

/**
 * Deliver every message concurrently, rotating the three delivery modes, and deliver again each one answered
 * with an error, as Pub/Sub redelivers, for at most `maxRounds` rounds. Returns the messages still failing
 * and how many deliveries failed in all.
 */
export async function deliverUntilAcked<Message extends PubsubMessageFields>(
  url: string,
  messages: readonly Message[],
  maxRounds: number,
): Promise<{ pending: Message[]; failures: number }> {
  const modes: Mode[] = ["structured", "binary", "push"];
  let pending = [...messages];
  let failures = 0;
  for (let round = 0; pending.length > 0 && round < maxRounds; round++) {
    const results = await Promise.all(
      pending.map(async (message, index) => ({
        message,
        ok: (await deliver(url, modes[index % modes.length]!, message)).ok,
      })),
    );
    pending = results.filter((result) => !result.ok).map((result) => result.message);
    failures += pending.length;
  }
  return { pending, failures };
}

/**
 * The expected winner, written apart from functions/src/order.ts: sort by timestamp, then by the hex digest
 * as plain strings, and take the last (docs/contract.md §3).
 */
export function greatest<T extends { timestamp: number; responseSha256: string }>(scans: readonly T[]): T {
  const byDigest = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...scans].sort(
    (a, b) => a.timestamp - b.timestamp || byDigest(a.responseSha256, b.responseSha256),
  );
  return sorted[sorted.length - 1]!;
}

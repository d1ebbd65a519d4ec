// Through the real functions-framework server against a Firestore emulator (embedded, or
// FIRESTORE_EMULATOR_HOST): stored, stale, duplicate and rejected outcomes in all three delivery shapes.
import { Timestamp, type Firestore } from "@google-cloud/firestore";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { shardOf } from "../src/shard.ts";
import {
  greatest,
  deliver,
  deliverUntilAcked,
  firestoreClient,
  post,
  projectId,
  scanJson,
  startFirestore,
  startFunction,
  uniqueCollections,
  type FirestoreTarget,
  type FunctionServer,
  type Mode,
} from "./harness.ts";

const collections = uniqueCollections("http");
const now = Math.floor(Date.now() / 1000);
let firestore: FirestoreTarget;
let server: FunctionServer;
let client: Firestore;

beforeAll(async () => {
  firestore = await startFirestore();
  server = await startFunction({
    FIRESTORE_EMULATOR_HOST: firestore.host,
    GOOGLE_CLOUD_PROJECT: projectId,
    SERVICES_COLLECTION: collections.services,
    REJECTS_COLLECTION: collections.rejects,
  });
  client = firestoreClient(firestore.host);
});

afterAll(async () => {
  await client?.terminate();
  await server?.close();
  await firestore?.stop();
});

const service = (key: string) => client.collection(collections.services).doc(key).get();
const reject = (id: string) => client.collection(collections.rejects).doc(id).get();
const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");
let nextMessageId = 1000;
const messageId = () => String(nextMessageId++);

describe.each<[Mode, number]>([
  ["structured", 1],
  ["binary", 2],
  ["push", 3],
])("a %s delivery", (mode, port) => {
  const key = `1.1.1.7:${port}:HTTP`;

  test("stores a fresh scan with every contract field", async () => {
    const id = messageId();
    const publishTime = "2024-11-22T08:00:00.123456Z";
    const response = await deliver(server.url, mode, {
      data: scanJson({ port, service: "http", timestamp: now - 60, response: "hello world" }),
      messageId: id,
      publishTime,
    });
    expect(response.status).toBe(204);
    const document = await service(key);
    expect(document.data()).toEqual({
      ip: "1.1.1.7",
      port,
      service: "HTTP",
      response: "hello world",
      responseSize: 11,
      responseSha256: sha256("hello world"),
      responseTruncated: false,
      shard: shardOf(key),
      scannedAt: new Timestamp(now - 60, 0),
      dataVersion: 2,
      messageId: id,
      publishTime: new Timestamp(Date.parse("2024-11-22T08:00:00Z") / 1000, 123_456_000),
      history: {
        [sha256("hello world")]: {
          firstSeen: new Timestamp(now - 60, 0),
          lastSeen: new Timestamp(now - 60, 0),
        },
      },
      updatedAt: expect.any(Timestamp),
    });
  });

  test("keeps the newer scan when an older one arrives late", async () => {
    const response = await deliver(server.url, mode, {
      data: scanJson({ port, timestamp: now - 120, response: "older" }),
      messageId: messageId(),
    });
    expect(response.status).toBe(204);
    const stored = await service(key);
    expect(stored.get("response")).toBe("hello world");
    // The older response joins the history, its text in the first slot.
    expect(stored.get("history")[sha256("older")]).toEqual({
      firstSeen: new Timestamp(now - 120, 0),
      lastSeen: new Timestamp(now - 120, 0),
      slot: 0,
    });
    const slot = await stored.ref.collection("history").doc("0").get();
    expect(slot.data()).toEqual({
      responseSha256: sha256("older"),
      response: "older",
      responseSize: 5,
      responseTruncated: false,
    });
  });

  test("writes nothing for a duplicate: updatedAt and messageId unchanged", async () => {
    const before = await service(key);
    const response = await deliver(server.url, mode, {
      data: scanJson({ port, timestamp: now - 60, response: "hello world" }),
      messageId: messageId(),
    });
    expect(response.status).toBe(204);
    const after = await service(key);
    expect(after.updateTime?.isEqual(before.updateTime!)).toBe(true);
    expect(after.get("updatedAt")).toEqual(before.get("updatedAt"));
    expect(after.get("messageId")).toBe(before.get("messageId"));
  });

  test("replaces the scan with a newer one", async () => {
    const id = messageId();
    await deliver(server.url, mode, {
      data: scanJson({ port, timestamp: now, response: "newest" }),
      messageId: id,
    });
    expect((await service(key)).data()).toMatchObject({
      response: "newest",
      messageId: id,
      scannedAt: new Timestamp(now, 0),
    });
  });

  test("rejects a broken scan once, keeping its raw data, and succeeds", async () => {
    const id = messageId();
    const data = scanJson({ port: 70000, timestamp: now, response: "x" });
    const message = {
      data,
      messageId: id,
      attributes: { origin: "test" },
      publishTime: "2024-11-22T08:00:00Z",
    };
    expect((await deliver(server.url, mode, message)).status).toBe(204);
    const first = await reject(id);
    expect(first.data()).toEqual({
      reason: "invalid_port",
      detail: "port must be a JSON integer from 0 to 65535, got 70000",
      data,
      dataSize: Buffer.byteLength(data),
      dataSha256: sha256(data),
      attributes: { origin: "test" },
      messageId: id,
      publishTime: new Timestamp(Date.parse("2024-11-22T08:00:00Z") / 1000, 0),
      shard: shardOf(id),
      rejectedAt: expect.any(Timestamp),
    });
    expect((await deliver(server.url, mode, message)).status).toBe(204);
    expect((await reject(id)).updateTime?.isEqual(first.updateTime!)).toBe(true);
  });
});

describe("other deliveries", () => {
  test("keeps non-UTF-8 v1 response bytes exactly", async () => {
    const bytes = Buffer.from([0x68, 0xff, 0x69]);
    const data = JSON.stringify({
      ip: "2001:DB8::1",
      port: 22,
      service: "ssh",
      timestamp: now,
      data_version: 1,
      data: { response_bytes_utf8: bytes.toString("base64") },
    });
    expect((await deliver(server.url, "push", { data, messageId: messageId() })).status).toBe(204);
    const document = await service("[2001:db8::1]:22:SSH");
    expect(document.get("response")).toBe("h\ufffdi");
    expect(Buffer.from(document.get("responseBytes") as Uint8Array)).toEqual(bytes);
  });

  test("stores a v1 response of invalid bytes past the limit: its lossy text is cut too, so the document fits 1 MiB", async () => {
    // Each 0xff becomes U+FFFD, three bytes: uncut, 262,144 of them made a 786,432-byte text beside the
    // 262,144 bytes, a document over Firestore's 1 MiB that failed on every delivery.
    const bytes = Buffer.alloc(300_000, 0xff);
    const data = JSON.stringify({
      ip: "1.1.1.8",
      port: 80,
      service: "HTTP",
      timestamp: now,
      data_version: 1,
      data: { response_bytes_utf8: bytes.toString("base64") },
    });
    expect((await deliver(server.url, "push", { data, messageId: messageId() })).status).toBe(204);
    const document = await service("1.1.1.8:80:HTTP");
    expect(Buffer.byteLength(document.get("response") as string)).toBeLessThanOrEqual(262_144);
    expect((document.get("responseBytes") as Uint8Array).length).toBe(262_144);
    expect(document.get("responseTruncated")).toBe(true);
    expect(document.get("responseSize")).toBe(300_000);
  });

  test("rejects non-UTF-8 message data as bytes", async () => {
    const id = messageId();
    const data = Buffer.from([0x7b, 0xff]);
    expect((await deliver(server.url, "binary", { data, messageId: id })).status).toBe(204);
    const document = await reject(id);
    expect(document.get("reason")).toBe("invalid_json");
    expect(Buffer.from(document.get("dataBytes") as Uint8Array)).toEqual(data);
  });

  test("rejects a CloudEvent without a Pub/Sub message as invalid_envelope, keyed by the CloudEvent id", async () => {
    const event = {
      specversion: "1.0",
      id: "envelope-1",
      source: `//pubsub.googleapis.com/projects/${projectId}/topics/scan-topic`,
      type: "google.cloud.pubsub.topic.v1.messagePublished",
      datacontenttype: "application/json",
      data: { subscription: "s" },
    };
    const response = await post(server.url, { "content-type": "application/cloudevents+json" }, event);
    expect(response.status).toBe(204);
    expect((await reject("envelope-1")).data()).toMatchObject({
      reason: "invalid_envelope",
      data: '{"subscription":"s"}',
    });
  });

  test("rejects a push message without data as invalid_json", async () => {
    const id = messageId();
    const body = { message: { messageId: id, attributes: { a: "b" } }, subscription: "s" };
    const response = await post(
      `${server.url}/projects/${projectId}/topics/scan-topic`,
      { "content-type": "application/json" },
      body,
    );
    expect(response.status).toBe(204);
    expect((await reject(id)).data()).toMatchObject({
      reason: "invalid_json",
      data: "",
      attributes: { a: "b" },
    });
  });
});

describe("concurrency", () => {
  test("50 concurrent deliveries of one key end in the model's winner, redelivering errors", async () => {
    const versions = Array.from({ length: 50 }, (_, index) => {
      const response = `v${index}`;
      return {
        timestamp: now - 1000 + (index % 7),
        response,
        responseSha256: sha256(response),
        messageId: messageId(),
      };
    });
    const messages = versions.map((version) => ({
      ...version,
      data: scanJson({ port: 8080, timestamp: version.timestamp, response: version.response }),
    }));
    const { pending } = await deliverUntilAcked(server.url, messages, 20);
    expect(pending).toEqual([]);
    const winner = greatest(versions);
    expect((await service("1.1.1.7:8080:HTTP")).data()).toMatchObject({
      response: winner.response,
      messageId: winner.messageId,
      scannedAt: new Timestamp(winner.timestamp, 0),
    });
  });
});

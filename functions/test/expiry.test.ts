// SERVICE_TTL_DAYS (docs/contract.md §1 and §3, expiry): through the function, a scan older than the window
// is rejected `expired` and what is stored carries expireAt; through the API's reader, what has expired but
// is not yet deleted by Firestore's TTL policy is hidden from every read; the history drops expired entries.
import { Timestamp, type Firestore } from "@google-cloud/firestore";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { firestoreReader } from "../src/api/read.ts";
import { parseConfig } from "../src/config.ts";
import { toServiceDocument } from "../src/documents.ts";
import { firestoreStore } from "../src/store.ts";
import {
  deliver,
  firestoreClient,
  projectId,
  scanJson,
  startFirestore,
  startFunction,
  uniqueCollections,
  type FirestoreTarget,
  type FunctionServer,
} from "./harness.ts";

const DAY = 86_400;
const now = Math.floor(Date.now() / 1000);
const collections = uniqueCollections("expiry");
let firestore: FirestoreTarget;
let server: FunctionServer;
let client: Firestore;
const env = () => ({
  FIRESTORE_EMULATOR_HOST: firestore.host,
  GOOGLE_CLOUD_PROJECT: projectId,
  SERVICES_COLLECTION: collections.services,
  REJECTS_COLLECTION: collections.rejects,
  SERVICE_TTL_DAYS: "2",
});

beforeAll(async () => {
  firestore = await startFirestore();
  server = await startFunction(env());
  client = firestoreClient(firestore.host);
});

afterAll(async () => {
  await client?.terminate();
  await server?.close();
  await firestore?.stop();
});

describe("ingestScan with SERVICE_TTL_DAYS=2", () => {
  test("rejects a scan older than two days as expired, so a late redelivery cannot bring a service back", async () => {
    const response = await deliver(server.url, "push", {
      data: scanJson({ port: 1, timestamp: now - 2 * DAY - 60, response: "gone" }),
      messageId: "late-1",
    });
    expect(response.status).toBe(204);
    const rejected = await client.collection(collections.rejects).doc("late-1").get();
    expect(rejected.get("reason")).toBe("expired");
    expect(rejected.get("detail")).toMatch(/older than SERVICE_TTL_DAYS=2 keeps/);
    expect((await client.collection(collections.services).doc("1.1.1.7:1:HTTP").get()).exists).toBe(false);
  });

  test("stamps a stored service, and the slots of its history, with their expiry", async () => {
    for (const [timestamp, text, id] of [
      [now - DAY, "older", "fresh-1"],
      [now, "newer", "fresh-2"],
    ] as const)
      expect(
        (
          await deliver(server.url, "push", {
            data: scanJson({ port: 2, timestamp, response: text }),
            messageId: id,
          })
        ).status,
      ).toBe(204);
    const stored = await client.collection(collections.services).doc("1.1.1.7:2:HTTP").get();
    expect(stored.get("expireAt")).toEqual(new Timestamp(now + 2 * DAY, 0));
    const slot = await stored.ref.collection("history").doc("0").get();
    expect(slot.get("response")).toBe("older");
    expect(slot.get("expireAt")).toEqual(new Timestamp(now - DAY + 2 * DAY, 0));
  });
});

describe("reads with SERVICE_TTL_DAYS=2", () => {
  // Stored through the ingest path's transaction as if days had passed: the store itself does not refuse.
  const config = () => parseConfig({ ...env(), SERVICES_COLLECTION: `${collections.services}-reads` });
  const store = () => firestoreStore(client, config(), () => (now + 5 * DAY) * 1000);
  const scan = (ip: string, timestamp: number, response: string) =>
    store().applyIfNewer(
      `${ip}:443:HTTP`,
      toServiceDocument(
        { ip, port: 443, service: "HTTP", timestamp, dataVersion: 2, response: Buffer.from(response) },
        { messageId: `${ip}-${timestamp}`, publishTime: { seconds: timestamp, nanoseconds: 0 } },
        1024,
      ),
    );

  beforeAll(async () => {
    await scan("10.7.0.1", now, "expired with its service");
    await scan("10.7.0.2", now + DAY, "expired entry");
    await scan("10.7.0.2", now + 4 * DAY, "kept entry");
  });

  const readerAt = (day: number) => firestoreReader(client, config(), () => (now + day * DAY) * 1000);

  test("hides a service past its expireAt from get, the listings and the counts; shows it before", async () => {
    const before = readerAt(1);
    expect(await before.service("10.7.0.1:443:HTTP")).toBeDefined();
    const after = readerAt(5);
    expect(await after.service("10.7.0.1:443:HTTP")).toBeUndefined();
    expect((await after.services({}, 10, undefined)).items.map((item) => item.id)).toEqual([
      "10.7.0.2:443:HTTP",
    ]);
    expect((await after.services({ ip: "10.7.0.1" }, 10, undefined)).items).toEqual([]);
    expect((await after.stats()).services).toBe(1);
    expect((await before.stats()).services).toBe(2);
    expect(await after.history("10.7.0.1:443:HTTP", 10, undefined)).toBeUndefined();
  });

  test("drops an expired history entry when the map is written anyway", async () => {
    const history = await readerAt(5).history("10.7.0.2:443:HTTP", 10, undefined);
    expect(history!.items.map((item) => item.data.response)).toEqual(["kept entry"]);
    // Written at day 5 (the store's clock): the entry last seen at day 1 was past the window and went.
    const stored = await client.collection(`${collections.services}-reads`).doc("10.7.0.2:443:HTTP").get();
    expect(Object.keys(stored.get("history"))).toHaveLength(1);
    expect((await readerAt(3).history("10.7.0.2:443:HTTP", 10, undefined))!.items).toHaveLength(1);
  });
});

describe("on the embedded emulator, with the repository's TTL policies", () => {
  test("a service and its history slot are deleted once their expireAt passes", async () => {
    const emulator = await import("@scan-ingest/emulator-firestore");
    const indexes = new URL("../../firestore.indexes.json", import.meta.url).pathname;
    const ttl = { policies: await emulator.readTtlPolicies(indexes), sweepIntervalMs: 50 };
    const embedded = await emulator.start({ port: 0, projectId, ttl });
    // The client prefers FIRESTORE_EMULATOR_HOST, which the function of this file set, to its host option.
    const functionsEmulator = process.env.FIRESTORE_EMULATOR_HOST;
    process.env.FIRESTORE_EMULATOR_HOST = embedded.host;
    const db = firestoreClient(embedded.host);
    try {
      const config = parseConfig({ FIRESTORE_EMULATOR_HOST: embedded.host, SERVICE_TTL_DAYS: "1" });
      const store = firestoreStore(db, config);
      // Scanned a day ago less two seconds: kept for two more seconds.
      const at = Math.floor(Date.now() / 1000) - DAY + 2;
      for (const [timestamp, response] of [
        [at, "first"],
        [at + 1, "second"],
      ] as const)
        await store.applyIfNewer(
          "10.8.0.1:443:HTTP",
          toServiceDocument(
            {
              ip: "10.8.0.1",
              port: 443,
              service: "HTTP",
              timestamp,
              dataVersion: 2,
              response: Buffer.from(response),
            },
            { messageId: response, publishTime: { seconds: timestamp, nanoseconds: 0 } },
            1024,
          ),
        );
      const service = db.collection("services").doc("10.8.0.1:443:HTTP");
      expect((await service.get()).exists).toBe(true);
      expect((await service.collection("history").doc("0").get()).exists).toBe(true);
      await expect
        .poll(async () => (await service.get()).exists, { timeout: 15_000, interval: 100 })
        .toBe(false);
      await expect
        .poll(async () => (await service.collection("history").doc("0").get()).exists, { timeout: 15_000 })
        .toBe(false);
    } finally {
      process.env.FIRESTORE_EMULATOR_HOST = functionsEmulator;
      await db.terminate();
      await embedded.stop();
    }
  });
});

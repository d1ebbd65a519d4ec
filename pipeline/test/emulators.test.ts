// The pipeline's embedded Firestore applies the TTL policies of the index file production deploys.
import { readFileSync } from "node:fs";
import { Firestore, Timestamp } from "@google-cloud/firestore";
import { ttlPoliciesFromIndexes } from "@scan-ingest/emulator-firestore";
import { afterAll, describe, expect, test } from "vitest";
import { startEmulators } from "../src/emulators.ts";

process.env.METADATA_SERVER_DETECTION ??= "none";
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

describe("the pipeline's embedded Firestore", () => {
  test("deletes what expires under firestore.indexes.json's TTL policies, sweeping as often as asked", async () => {
    const spec: unknown = JSON.parse(
      readFileSync(new URL("../../firestore.indexes.json", import.meta.url), "utf8"),
    );
    const policies = ttlPoliciesFromIndexes(spec);
    const { firestore } = await startEmulators({ firestoreTtlSweepMs: 50 }, (stop) => stops.push(stop));
    const db = new Firestore({ projectId: "pipeline-ttl", host: firestore.host, ssl: false });
    try {
      const expired = await Promise.all(
        policies.map(async ({ collectionGroup, field }) => {
          const ref = db.collection("parents").doc("p").collection(collectionGroup).doc("expired");
          await ref.set({ [field]: Timestamp.fromMillis(Date.now() - 1000) });
          return ref;
        }),
      );
      for (const ref of expired)
        await expect.poll(async () => (await ref.get()).exists, { timeout: 10_000 }).toBe(false);
    } finally {
      await db.terminate();
    }
  });
});

// The Firebase entry declares what functions/deploy.json says, in the manifest firebase-functions gives the
// Firebase CLI (what `firebase deploy` would create); the ingest it runs is tested end to end in test/firebase/.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { ingestScan } from "../src/firebase.ts";

const deploy = JSON.parse(readFileSync(new URL("../deploy.json", import.meta.url), "utf8")) as Record<
  string,
  unknown
>;

test("the Firebase entry's manifest carries deploy.json's trigger, retry and sizing", () => {
  const gibibytes = /^(\d+)Gi$/.exec(String(deploy.memory));
  expect(gibibytes, "deploy.json memory in Gi").not.toBeNull();
  expect(ingestScan.__endpoint).toMatchObject({
    platform: "gcfv2",
    region: [deploy.region],
    eventTrigger: {
      eventType: "google.cloud.pubsub.topic.v1.messagePublished",
      eventFilters: { topic: deploy.topic },
      retry: true,
    },
    availableMemoryMb: Number(gibibytes![1]) * 1024,
    cpu: Number(deploy.cpu),
    concurrency: deploy.concurrency,
    minInstances: deploy.minInstances,
    maxInstances: deploy.maxInstances,
    timeoutSeconds: deploy.timeoutSeconds,
    ingressSettings: deploy.ingress,
  });
});

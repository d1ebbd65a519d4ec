import { status } from "@grpc/grpc-js";
import { describe, expect, test } from "vitest";
import { refusal, unique, useTarget } from "./harness.ts";

// Conformance: only @google-cloud/pubsub, so it also runs against Google's emulator (PUBSUB_EMULATOR_HOST).
// No emulator writes to BigQuery or Cloud Storage. The embedded one refuses such a subscription by name;
// Google's accepts it and leaves it an ordinary pull subscription (docs/parity.md, "export subscriptions").
const target = useTarget();

/** infra/bigquery.tf's subscription: every observation into a table, with metadata and dead letters. */
const EXPORTS = {
  bigquery_config: (project: string) => ({
    bigqueryConfig: { table: `${project}.scans.observations`, writeMetadata: true },
  }),
  cloud_storage_config: () => ({ cloudStorageConfig: { bucket: "scan-observations" } }),
};

describe("export subscriptions", () => {
  test.each(Object.keys(EXPORTS) as (keyof typeof EXPORTS)[])(
    "a subscription with %s is refused UNIMPLEMENTED by name by the embedded emulator; Google's accepts it and delivers to pull",
    async (field) => {
      const [topic] = await target.pubsub.createTopic(unique("export"));
      const [dead] = await target.pubsub.createTopic(unique("export-dead"));
      const name = unique("export-sub");
      const created = await refusal(
        topic.createSubscription(name, {
          ...EXPORTS[field](target.projectId),
          deadLetterPolicy: { deadLetterTopic: dead.name, maxDeliveryAttempts: 5 },
        }),
      );
      const subscription = target.pubsub.subscription(name);
      if (target.kind === "embedded") {
        expect(created).toMatchObject({
          code: status.UNIMPLEMENTED,
          details: expect.stringContaining(field),
        });
        expect((await refusal(subscription.getMetadata()))?.code).toBe(status.NOT_FOUND);
        return;
      }
      // Google's differs (docs/parity.md): it keeps the config, checks no table or bucket, and the
      // subscription holds messages for Pull as if the export were absent.
      expect(created).toBeUndefined();
      const [metadata] = await subscription.getMetadata();
      expect(metadata[field === "bigquery_config" ? "bigqueryConfig" : "cloudStorageConfig"]).toBeTruthy();
      await topic.publishMessage({ data: Buffer.from("{}") });
      await expect
        .poll(async () => {
          const [response] = await target.subscriber.pull({
            subscription: subscription.name,
            maxMessages: 1,
          });
          return response.receivedMessages?.length ?? 0;
        })
        .toBe(1);
    },
  );

  test("adding a BigQuery export to a subscription is refused too: by name on the embedded emulator, as an unknown field on Google's", async () => {
    const [topic] = await target.pubsub.createTopic(unique("export"));
    const [subscription] = await topic.createSubscription(unique("export-sub"));
    const updated = await refusal(
      target.subscriber.updateSubscription({
        subscription: {
          name: subscription.name,
          bigqueryConfig: { table: `${target.projectId}.scans.observations` },
        },
        updateMask: { paths: ["bigquery_config"] },
      }),
    );
    expect(updated).toMatchObject(
      target.kind === "embedded"
        ? { code: status.UNIMPLEMENTED, details: expect.stringContaining("bigquery_config") }
        : {
            code: status.INVALID_ARGUMENT,
            details: expect.stringContaining("bigquery_config is not a known"),
          },
    );
  });
});

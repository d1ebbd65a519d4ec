import { status } from "@grpc/grpc-js";
import { describe, expect, test } from "vitest";
import { unique, useTarget } from "./harness.ts";

// Conformance: only @google-cloud/pubsub, so it also runs against Google's emulator (PUBSUB_EMULATOR_HOST).
const target = useTarget();

/** The gRPC status code a rejected client call carried. */
async function codeOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

/** Creates a subscription whose dead-letter policy allows `maxDeliveryAttempts`. */
async function withMaxDeliveryAttempts(maxDeliveryAttempts: number) {
  const [dead] = await target.pubsub.createTopic(unique("bad-dl"));
  return (await target.pubsub.createTopic(unique("bad")))[0].createSubscription(unique("s"), {
    deadLetterPolicy: { deadLetterTopic: dead.name, maxDeliveryAttempts },
  });
}

describe.concurrent("topic and subscription lifecycle", () => {
  test("creates, gets, lists and deletes a topic, answering ALREADY_EXISTS and NOT_FOUND", async () => {
    const name = unique("life-topic");
    const [topic] = await target.pubsub.createTopic(name);
    expect(topic.name).toBe(`projects/${target.projectId}/topics/${name}`);
    expect(await codeOf(target.pubsub.createTopic(name))).toBe(status.ALREADY_EXISTS);
    const [metadata] = await topic.getMetadata();
    expect(metadata.name).toBe(topic.name);
    const [topics] = await target.pubsub.getTopics();
    expect(topics.map((t) => t.name)).toContain(topic.name);
    await topic.delete();
    expect(await codeOf(topic.getMetadata())).toBe(status.NOT_FOUND);
    expect(await codeOf(topic.delete())).toBe(status.NOT_FOUND);
    expect(await codeOf(topic.publishMessage({ data: Buffer.from("x") }))).toBe(status.NOT_FOUND);
  });

  test("creates a subscription, lists it under its topic, and answers ALREADY_EXISTS and NOT_FOUND", async () => {
    const [topic] = await target.pubsub.createTopic(unique("life-sub"));
    const name = unique("life-sub");
    const [subscription] = await topic.createSubscription(name, { ackDeadlineSeconds: 30 });
    const [metadata] = await subscription.getMetadata();
    expect(metadata).toMatchObject({ topic: topic.name, ackDeadlineSeconds: 30 });
    // Production reports state ACTIVE; Google's emulator leaves the output-only field unset.
    expect(metadata.state).toBe(target.kind === "google" ? "STATE_UNSPECIFIED" : "ACTIVE");
    expect(await codeOf(topic.createSubscription(name))).toBe(status.ALREADY_EXISTS);
    const [listed] = await topic.getSubscriptions();
    expect(listed.map((s) => s.name)).toEqual([subscription.name]);
    const [all] = await target.pubsub.getSubscriptions();
    expect(all.map((s) => s.name)).toContain(subscription.name);
    await subscription.delete();
    expect(await codeOf(subscription.getMetadata())).toBe(status.NOT_FOUND);
    expect(await codeOf(target.pubsub.topic(unique("missing")).createSubscription(unique("s")))).toBe(
      status.NOT_FOUND,
    );
  });

  test("keeps a subscription whose topic was deleted, pointing at _deleted-topic_", async () => {
    const [topic] = await target.pubsub.createTopic(unique("life-orphan"));
    const [subscription] = await topic.createSubscription(unique("life-orphan"));
    await topic.delete();
    const [metadata] = await subscription.getMetadata();
    expect(metadata.topic).toBe("_deleted-topic_");
  });

  test("updates a subscription's ack deadline and push config", async () => {
    const [topic] = await target.pubsub.createTopic(unique("life-update"));
    const [subscription] = await topic.createSubscription(unique("life-update"));
    await subscription.setMetadata({ ackDeadlineSeconds: 42 });
    await subscription.modifyPushConfig({ pushEndpoint: "http://127.0.0.1:9/push" });
    const [metadata] = await subscription.getMetadata();
    expect(metadata.ackDeadlineSeconds).toBe(42);
    expect(metadata.pushConfig?.pushEndpoint).toBe("http://127.0.0.1:9/push");
  });

  test("rejects an ack deadline under 10 seconds, as production does (Google's emulator accepts it)", async () => {
    const [topic] = await target.pubsub.createTopic(unique("bad-ack"));
    const call = topic.createSubscription(unique("s"), { ackDeadlineSeconds: 5 });
    if (target.kind === "google") {
      // Google's emulator checks only the 600 s maximum and keeps the 5 s deadline.
      const [subscription] = await call;
      expect((await subscription.getMetadata())[0].ackDeadlineSeconds).toBe(5);
    } else {
      expect(await codeOf(call)).toBe(status.INVALID_ARGUMENT);
    }
  });

  test("rejects a ModifyAckDeadline over 600 seconds, as production does (Google's emulator accepts it)", async () => {
    const [topic] = await target.pubsub.createTopic(unique("bad-modack"));
    const [subscription] = await topic.createSubscription(unique("bad-modack"));
    await topic.publishMessage({ data: Buffer.from("x") });
    const [response] = await target.subscriber.pull({ subscription: subscription.name, maxMessages: 1 });
    const modify = (ackDeadlineSeconds: number) =>
      target.subscriber.modifyAckDeadline({
        subscription: subscription.name,
        ackIds: [response.receivedMessages?.[0]?.ackId ?? ""],
        ackDeadlineSeconds,
      });
    // Google's emulator checks only that the deadline is not negative.
    expect(await codeOf(modify(601))).toBe(target.kind === "google" ? undefined : status.INVALID_ARGUMENT);
    expect(await codeOf(modify(-1))).toBe(status.INVALID_ARGUMENT);
  });

  test.each([
    ["filter", { filter: 'attributes.kind = "scan"' }],
    ["enable_exactly_once_delivery", { enableExactlyOnceDelivery: true }],
  ] as const)(
    "%s: Google's emulator accepts it, the embedded one answers UNIMPLEMENTED",
    async (field, options) => {
      const [topic] = await target.pubsub.createTopic(unique("unsupported"));
      const call = topic.createSubscription(unique("s"), options);
      if (target.kind === "google") {
        await call;
      } else {
        // The embedded emulator does not implement this production feature and says so instead of ignoring it.
        await expect(call).rejects.toMatchObject({
          code: status.UNIMPLEMENTED,
          details: expect.stringContaining(field),
        });
      }
    },
  );

  test.each([
    [
      "a topic id that does not start with a letter",
      () => target.pubsub.createTopic("1-bad"),
      status.INVALID_ARGUMENT,
    ],
    ["a topic id starting with goog", () => target.pubsub.createTopic("goog-topic"), status.INVALID_ARGUMENT],
    // Production documents only the 5..100 range; both emulators answer OUT_OF_RANGE, as Google's does.
    ["max delivery attempts under 5", () => withMaxDeliveryAttempts(4), status.OUT_OF_RANGE],
    ["max delivery attempts over 100", () => withMaxDeliveryAttempts(101), status.OUT_OF_RANGE],
    [
      "a maximum backoff over 600 seconds",
      async () =>
        (await target.pubsub.createTopic(unique("bad")))[0].createSubscription(unique("s"), {
          retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 601 } },
        }),
      status.INVALID_ARGUMENT,
    ],
    [
      "a message with neither data nor attributes",
      async () =>
        (await target.pubsub.createTopic(unique("bad")))[0].publishMessage({ data: Buffer.alloc(0) }),
      status.INVALID_ARGUMENT,
    ],
  ])("rejects %s", async (_name, call, code) => {
    expect(await codeOf(call())).toBe(code);
  });
});

import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { connect, unique, type Target } from "./harness.ts";

// Conformance: only @google-cloud/pubsub, so it also runs against Google's emulator (PUBSUB_EMULATOR_HOST).
let target: Target;
beforeAll(async () => {
  target = await connect();
});
afterAll(async () => {
  await target.close();
});

/** The gRPC status code a rejected client call carried. */
async function codeOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
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

  test.each([
    ["a topic id that does not start with a letter", () => target.pubsub.createTopic("1-bad")],
    ["a topic id starting with goog", () => target.pubsub.createTopic("goog-topic")],
    [
      "an ack deadline under 10 seconds",
      async () =>
        (await target.pubsub.createTopic(unique("bad")))[0].createSubscription(unique("s"), {
          ackDeadlineSeconds: 5,
        }),
    ],
    [
      "max delivery attempts under 5",
      async () => {
        const [dead] = await target.pubsub.createTopic(unique("bad-dl"));
        return (await target.pubsub.createTopic(unique("bad")))[0].createSubscription(unique("s"), {
          deadLetterPolicy: { deadLetterTopic: dead.name, maxDeliveryAttempts: 4 },
        });
      },
    ],
    [
      "max delivery attempts over 100",
      async () => {
        const [dead] = await target.pubsub.createTopic(unique("bad-dl"));
        return (await target.pubsub.createTopic(unique("bad")))[0].createSubscription(unique("s"), {
          deadLetterPolicy: { deadLetterTopic: dead.name, maxDeliveryAttempts: 101 },
        });
      },
    ],
    [
      "a maximum backoff over 600 seconds",
      async () =>
        (await target.pubsub.createTopic(unique("bad")))[0].createSubscription(unique("s"), {
          retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 601 } },
        }),
    ],
    [
      "a message with neither data nor attributes",
      async () =>
        (await target.pubsub.createTopic(unique("bad")))[0].publishMessage({ data: Buffer.alloc(0) }),
    ],
  ])("rejects %s with INVALID_ARGUMENT", async (_name, call) => {
    expect(await codeOf(call())).toBe(status.INVALID_ARGUMENT);
  });
});

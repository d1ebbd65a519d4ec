import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { start, type PubSubEmulator } from "../src/index.ts";
import { pushEndpoint, unique } from "./harness.ts";
import { PubSub, type Message } from "@google-cloud/pubsub";

// Embedded emulator only: fault injection and counters are its own API, not Google's.
let emulator: PubSubEmulator;
let pubsub: PubSub;
beforeAll(async () => {
  emulator = await start();
  pubsub = new PubSub({ projectId: "faults", apiEndpoint: emulator.host, emulatorMode: true });
});
afterAll(async () => {
  await pubsub.close();
  await emulator.stop();
});

// One emulator per file: these tests change its faults, so they run one after another.
describe("fault injection and counters", () => {
  test("counts publish, delivery and ack, and outstanding drains to zero by short and full name", async () => {
    emulator.counters.reset();
    const endpoint = await pushEndpoint(() => 204);
    const [topic] = await pubsub.createTopic(unique("count"));
    const id = unique("count");
    const [subscription] = await topic.createSubscription(id, { pushConfig: { pushEndpoint: endpoint.url } });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => topic.publishMessage({ data: Buffer.from(`${i}`) })),
    );
    await expect.poll(() => emulator.counters.outstanding(id), { message: "nothing outstanding" }).toBe(0);
    expect(emulator.counters.outstanding(subscription.name)).toBe(0);
    const { published, delivered, acked, nacked, redelivered, deadLettered } = emulator.counters;
    expect({ published, delivered, acked, nacked, redelivered, deadLettered }).toEqual({
      published: 50,
      delivered: 50,
      acked: 50,
      nacked: 0,
      redelivered: 0,
      deadLettered: 0,
    });
    await endpoint.close();
  });

  test("delivers every message twice when duplicateRate is 1, and counts the copies it injected", async () => {
    emulator.faults.duplicateRate = 1;
    const injectedBefore = emulator.faults.injected.duplicates;
    try {
      const endpoint = await pushEndpoint(() => 204);
      const [topic] = await pubsub.createTopic(unique("dup"));
      await topic.createSubscription(unique("dup"), { pushConfig: { pushEndpoint: endpoint.url } });
      const ids = await Promise.all(
        ["a", "b", "c"].map((d) => topic.publishMessage({ data: Buffer.from(d) })),
      );
      await endpoint.next(6);
      const counts = new Map<string, number>();
      for (const { body } of endpoint.received) {
        counts.set(body.message.messageId, (counts.get(body.message.messageId) ?? 0) + 1);
      }
      expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(ids.map((id) => [id, 2])));
      expect(emulator.faults.injected.duplicates - injectedBefore).toBe(3);
      await endpoint.close();
    } finally {
      emulator.faults.duplicateRate = 0;
    }
  });

  test("reorders deliveries when maxDelayMs is set", async () => {
    emulator.faults.maxDelayMs = 200;
    try {
      const [topic] = await pubsub.createTopic(unique("delay"));
      const [subscription] = await topic.createSubscription(unique("delay"));
      const order: number[] = [];
      subscription.on("message", (message) => {
        order.push(Number(message.data.toString()));
        message.ack();
      });
      const total = 200;
      const batched = pubsub.topic(topic.name, { batching: { maxMessages: total, maxMilliseconds: 50 } });
      await Promise.all(
        Array.from({ length: total }, (_, i) => batched.publishMessage({ data: Buffer.from(`${i}`) })),
      );
      await expect.poll(() => order.length, { message: "every delivery" }).toBe(total);
      await subscription.close();
      expect(new Set(order).size).toBe(total);
      expect(order).not.toEqual([...order].sort((a, b) => a - b)); // 200 random delays in order: ~1/200!
    } finally {
      emulator.faults.maxDelayMs = 0;
    }
  });

  test("fails the pushes failPush chooses without sending them, on that subscription only, until dead-lettered", async () => {
    emulator.counters.reset();
    const injectedBefore = emulator.faults.injected.failedPushes;
    const endpoint = await pushEndpoint(() => 204);
    const [topic] = await pubsub.createTopic(unique("fail-push"));
    const [deadLetter] = await pubsub.createTopic(unique("fail-push-dl"));
    const [letters] = await deadLetter.createSubscription(unique("fail-push-dl"));
    const doomed = unique("doomed");
    const spared = unique("spared");
    const policy = {
      pushConfig: { pushEndpoint: endpoint.url },
      deadLetterPolicy: { deadLetterTopic: deadLetter.name, maxDeliveryAttempts: 5 },
      retryPolicy: { minimumBackoff: { seconds: 0 }, maximumBackoff: { seconds: 0 } },
    };
    await topic.createSubscription(doomed, policy);
    await topic.createSubscription(spared, policy);
    const seen: Array<{ subscription: string; attempt: number }> = [];
    emulator.faults.failPush = (subscription, message) => {
      if (message.attributes.fail !== "yes") return false;
      seen.push({ subscription, attempt: message.attempt });
      return subscription.endsWith(`/${doomed}`);
    };
    try {
      await topic.publishMessage({ data: Buffer.from("fails"), attributes: { fail: "yes" } });
      await topic.publishMessage({ data: Buffer.from("passes") });
      await expect
        .poll(() => [emulator.counters.deadLettered, endpoint.received.length], {
          message: "one dead letter and three pushes received",
        })
        .toEqual([1, 3]);
      const dead: Array<{ data: string; source: string | undefined }> = [];
      letters.on("message", (message: Message) => {
        dead.push({
          data: message.data.toString(),
          source: message.attributes.CloudPubSubDeadLetterSourceSubscription,
        });
        message.ack();
      });
      await expect.poll(() => dead.length, { message: "the dead letter pulled" }).toBe(1);
      await letters.close();
      expect(dead).toEqual([{ data: "fails", source: doomed }]);
      // The endpoint got "passes" on both subscriptions and "fails" on the spared one only.
      const received = endpoint.received.map(
        ({ body }) => `${Buffer.from(body.message.data, "base64")} ${body.subscription.split("/").pop()}`,
      );
      expect(received.sort()).toEqual([`fails ${spared}`, `passes ${doomed}`, `passes ${spared}`].sort());
      expect(
        seen.filter((push) => push.subscription.endsWith(`/${doomed}`)).map((push) => push.attempt),
      ).toEqual([1, 2, 3, 4, 5]);
      expect(emulator.faults.injected.failedPushes - injectedBefore).toBe(5);
      const { acked, nacked, redelivered } = emulator.counters;
      expect({ acked, nacked, redelivered, outstanding: emulator.counters.outstanding(doomed) }).toEqual({
        acked: 4, // three pushes and the dead letter read here
        nacked: 5,
        redelivered: 4,
        outstanding: 0,
      });
    } finally {
      emulator.faults.failPush = undefined;
      await endpoint.close();
    }
  });

  test("counts nacks, redeliveries and dead letters for a failing push endpoint", async () => {
    emulator.counters.reset();
    const endpoint = await pushEndpoint(() => 500);
    const [topic] = await pubsub.createTopic(unique("fail"));
    const [deadLetter] = await pubsub.createTopic(unique("fail-dl"));
    const id = unique("fail");
    await topic.createSubscription(id, {
      pushConfig: { pushEndpoint: endpoint.url },
      deadLetterPolicy: { deadLetterTopic: deadLetter.name, maxDeliveryAttempts: 5 },
      retryPolicy: { minimumBackoff: { seconds: 0 }, maximumBackoff: { seconds: 0 } },
    });
    await topic.publishMessage({ data: Buffer.from("x") });
    await expect.poll(() => emulator.counters.deadLettered, { message: "the dead letter" }).toBe(1);
    const { published, delivered, acked, nacked, redelivered } = emulator.counters;
    expect({
      published,
      delivered,
      acked,
      nacked,
      redelivered,
      outstanding: emulator.counters.outstanding(id),
    }).toEqual({
      published: 1,
      delivered: 5,
      acked: 0,
      nacked: 5,
      redelivered: 4,
      outstanding: 0,
    });
    await endpoint.close();
  });
});

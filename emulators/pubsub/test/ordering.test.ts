import type { Message } from "@google-cloud/pubsub";
import fc from "fast-check";
import { expect, test } from "vitest";
import { unique, useTarget } from "./harness.ts";

// Conformance: ordering keys under the load the client produces (batched publishes, several streams, flow
// control, nacks), only through @google-cloud/pubsub, so it also runs against Google's emulator.
const target = useTarget();

interface Load {
  keys: number;
  messages: number;
  maxStreams: number;
  maxMessages: number;
  /** Indexes of the messages the subscriber nacks on their first delivery. */
  nacks: number[];
}

/**
 * Publishes `load` to a new ordered subscription and receives it through the client's streaming pull, checking
 * on every delivery that each earlier message of the key arrived before it, and that every message, nacked ones
 * too, ends acknowledged. (What the server sends after a nack is pinned by ordering-model.test.ts: the client
 * still hands out the rest of a response it holds, so a subscriber cannot observe it.)
 */
async function receiveInOrder(load: Load): Promise<void> {
  const [topic] = await target.pubsub.createTopic(unique("ordered-load"));
  const [created] = await topic.createSubscription(unique("ordered-load"), { enableMessageOrdering: true });
  const subscription = target.pubsub.subscription(created.name, {
    flowControl: { maxMessages: load.maxMessages, allowExcessMessages: false },
    streamingOptions: { maxStreams: load.maxStreams },
  });
  const keyOf = (index: number): string =>
    index % (load.keys + 1) === load.keys ? "" : `key${index % (load.keys + 1)}`;
  const byData = new Map<string, number>();
  const toNack = new Set(load.nacks.map((index) => index % load.messages));
  const acked = new Set<number>();
  const delivered = new Set<number>();
  const keyIndexes = new Map<string, number[]>();
  const violations: string[] = [];
  subscription.on("message", (message: Message) => {
    const index = byData.get(message.data.toString()) ?? -1;
    const key = message.orderingKey ?? "";
    if (key !== "") {
      for (const earlier of keyIndexes.get(key) ?? []) {
        if (earlier >= index) break;
        if (!delivered.has(earlier) && violations.length < 5)
          violations.push(`${key}: ${index} before ${earlier}`);
      }
    }
    delivered.add(index);
    if (toNack.delete(index)) {
      message.nack();
    } else {
      acked.add(index);
      message.ack();
    }
  });
  const errors: Error[] = [];
  subscription.on("error", (error: Error) => errors.push(error));
  const ordered = target.pubsub.topic(topic.name, {
    messageOrdering: true,
    batching: { maxMessages: 100, maxMilliseconds: 10 },
  });
  const publishes: Promise<string>[] = [];
  for (let index = 0; index < load.messages; index++) {
    const data = `message${index}`;
    const key = keyOf(index);
    byData.set(data, index);
    if (key !== "") keyIndexes.set(key, [...(keyIndexes.get(key) ?? []), index]);
    publishes.push(ordered.publishMessage({ data: Buffer.from(data), orderingKey: key }));
  }
  await Promise.all(publishes);
  await expect
    .poll(() => acked.size === load.messages || violations.length > 0 || errors.length > 0, {
      message: "every message acked, or an order violation or an error",
    })
    .toBe(true);
  await subscription.close();
  expect(errors).toEqual([]);
  expect(violations).toEqual([]);
  expect(acked.size).toBe(load.messages);
}

test("thousands of messages over several ordering keys, batched and streamed, arrive in order per key", async () => {
  await receiveInOrder({ keys: 5, messages: 5000, maxStreams: 5, maxMessages: 1000, nacks: [] });
});

test("flow control of one message: each key's next message waits for the ack of the one before", async () => {
  await receiveInOrder({ keys: 2, messages: 50, maxStreams: 2, maxMessages: 1, nacks: [3, 7] });
});

test("any mix of keys, streams, flow control and nacks keeps every key in order", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        keys: fc.integer({ min: 1, max: 8 }),
        // A key's next message waits for the ack of the one before unless they share a response, and the
        // client sends acks every 100 ms: these sizes keep a run to seconds (flow control of one: the test above).
        messages: fc.integer({ min: 50, max: 300 }),
        maxStreams: fc.integer({ min: 1, max: 5 }),
        maxMessages: fc.constantFrom(10, 100, 1000),
        nacks: fc.array(fc.nat(), { maxLength: 5 }),
      }),
      receiveInOrder,
    ),
    { numRuns: 6 },
  );
});

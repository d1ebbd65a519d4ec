import fc from "fast-check";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { createCounters } from "../src/counters.ts";
import { DeliveryQueue, newBatch, type Delivery } from "../src/delivery-queue.ts";
import type { StoredMessage } from "../src/message.ts";
import type { DeliveryConfig } from "../src/subscription-config.ts";

// The ordering rule against a model of Pub/Sub's semantics (https://cloud.google.com/pubsub/docs/ordering):
// a message of a key reaches a subscriber only after every earlier message of the key is acknowledged, or in
// the same response right after them, so a redelivery re-sends the key's unacknowledged messages in order.

type Action =
  | { kind: "publish"; key: string; count: number }
  | { kind: "take"; room: number }
  | { kind: "ack"; pick: number }
  | { kind: "nack"; pick: number }
  | { kind: "extend"; pick: number; seconds: number }
  | { kind: "advance"; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("publish" as const),
    key: fc.constantFrom("a", "b", "c", ""),
    count: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({ kind: fc.constant("take" as const), room: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("ack" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("nack" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("extend" as const),
    pick: fc.nat(),
    seconds: fc.integer({ min: 1, max: 30 }),
  }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 15_000 }) }),
);

const config = fc.record({
  retryPolicy: fc.constantFrom(undefined, { minimumBackoffMs: 100, maximumBackoffMs: 1000 }),
  deadLetter: fc.constantFrom(undefined, { topic: "projects/p/topics/dl", maxDeliveryAttempts: 5 }),
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

test("no load of publishes, batches, acks, nacks, stale ack ids and expired leases delivers a key out of order", () => {
  fc.assert(
    fc.property(config, fc.array(action, { maxLength: 120 }), (overrides, actions) => {
      const gone = new Set<string>(); // acknowledged or dead-lettered: no longer the model's concern
      const published: StoredMessage[] = [];
      const handedOut: Delivery[] = [];
      const delivered = new Set<string>();
      const settings: DeliveryConfig = {
        ackDeadlineSeconds: 10,
        pushEndpoint: undefined,
        retentionMs: 86_400_000,
        ordered: true,
        retainAcked: false,
        ...overrides,
      };
      const queue = new DeliveryQueue("s", {
        config: () => settings,
        counters: createCounters(() => 0),
        onReady: () => undefined,
        deadLetter: (message) => (gone.add(message.messageId), true),
        now: Date.now,
      });
      const unackedBefore = (message: StoredMessage): string[] =>
        published
          .filter(
            (m) => m.orderingKey === message.orderingKey && Number(m.messageId) < Number(message.messageId),
          )
          .filter((m) => !gone.has(m.messageId))
          .map((m) => m.messageId);
      const takeBatch = (room: number): Delivery[] => {
        const batch = newBatch();
        const taken: Delivery[] = [];
        for (
          let d = queue.take(10, undefined, 0, batch);
          d;
          d = taken.length < room ? queue.take(10, undefined, 0, batch) : undefined
        )
          taken.push(d);
        const inBatch: string[] = [];
        for (const delivery of taken) {
          const { message } = delivery;
          expect(gone.has(message.messageId)).toBe(false);
          if (message.orderingKey !== "") {
            // Every earlier unacknowledged message of the key came before it in this very response.
            for (const earlier of unackedBefore(message)) expect(inBatch).toContain(earlier);
          }
          inBatch.push(message.messageId);
          delivered.add(message.messageId);
        }
        handedOut.push(...taken);
        return taken;
      };
      const pick = (index: number): Delivery | undefined => handedOut[index % Math.max(handedOut.length, 1)];

      for (const step of actions) {
        if (step.kind === "publish") {
          for (let i = 0; i < step.count; i++) {
            const message: StoredMessage = {
              messageId: String(published.length + 1),
              data: Buffer.from("m"),
              attributes: {},
              orderingKey: step.key,
              publishTimeMs: Date.now(),
            };
            published.push(message);
            queue.enqueue(message);
          }
        } else if (step.kind === "take") {
          takeBatch(step.room);
        } else if (step.kind === "ack") {
          const delivery = pick(step.pick);
          if (delivery && queue.acknowledge(delivery.ackId)) gone.add(delivery.message.messageId);
        } else if (step.kind === "nack") {
          const delivery = pick(step.pick);
          if (delivery) queue.modifyDeadline(delivery.ackId, 0);
        } else if (step.kind === "extend") {
          const delivery = pick(step.pick);
          if (delivery) queue.modifyDeadline(delivery.ackId, step.seconds);
        } else {
          vi.advanceTimersByTime(step.ms);
        }
      }

      // Liveness: a subscriber that acknowledges everything receives every message still unacknowledged.
      for (let round = 0; round < 200 && gone.size < published.length; round++) {
        for (const delivery of takeBatch(1000)) {
          if (queue.acknowledge(delivery.ackId)) gone.add(delivery.message.messageId);
        }
        vi.advanceTimersByTime(1000);
      }
      expect(gone.size).toBe(published.length);
      expect(queue.size).toBe(0);
      for (const message of published)
        expect(delivered.has(message.messageId) || gone.has(message.messageId)).toBe(true);
    }),
    { numRuns: 300 },
  );
});

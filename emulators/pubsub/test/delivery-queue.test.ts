import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { createCounters } from "../src/counters.ts";
import { DeliveryQueue, newBatch } from "../src/delivery-queue.ts";
import type { StoredMessage } from "../src/message.ts";
import type { DeliveryConfig } from "../src/subscription-config.ts";

const message = (messageId: string, orderingKey = ""): StoredMessage => ({
  messageId,
  data: Buffer.from(messageId),
  attributes: {},
  orderingKey,
  publishTimeMs: Date.now(),
});

function setup(overrides: Partial<DeliveryConfig> = {}) {
  const config: DeliveryConfig = {
    ackDeadlineSeconds: 10,
    pushEndpoint: undefined,
    retryPolicy: { minimumBackoffMs: 1000, maximumBackoffMs: 4000 },
    deadLetter: undefined,
    retentionMs: 86_400_000,
    ordered: false,
    retainAcked: false,
    ...overrides,
  };
  const counters = createCounters(() => 0);
  const deadLettered: [string, number][] = [];
  const queue = new DeliveryQueue("s", {
    config: () => config,
    counters,
    onReady: () => undefined,
    deadLetter: (m, attempts) => (deadLettered.push([m.messageId, attempts]), true),
    now: Date.now,
  });
  return { queue, counters, deadLettered };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("DeliveryQueue", () => {
  test("delivers in publish order and forgets a message once acked", () => {
    const { queue, counters } = setup();
    queue.enqueue(message("1"));
    queue.enqueue(message("2"));
    const first = queue.take(10);
    expect(first?.message.messageId).toBe("1");
    expect(queue.acknowledge(first?.ackId ?? "")).toBe(true);
    expect(queue.acknowledge(first?.ackId ?? "")).toBe(false);
    expect(queue.size).toBe(1);
    expect(counters.acked).toBe(1);
  });

  test("redelivers an expired lease after the minimum backoff, not before", () => {
    const { queue, counters } = setup();
    queue.enqueue(message("1"));
    queue.take(10);
    vi.advanceTimersByTime(10_000);
    expect(queue.take(10)).toBeUndefined();
    vi.advanceTimersByTime(1000);
    expect(queue.take(10)).toMatchObject({ attempt: 2 });
    expect(counters.redelivered).toBe(1);
  });

  test("backs off exponentially between nacks up to the maximum", () => {
    const { queue } = setup();
    queue.enqueue(message("1"));
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const delivery = queue.take(10);
      queue.modifyDeadline(delivery?.ackId ?? "", 0);
      let waited = 0;
      while (!queue.hasReady()) {
        vi.advanceTimersByTime(100);
        waited += 100;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1000, 2000, 4000, 4000]);
  });

  test("a push subscription without a retry policy waits 100 ms, then 200 ms (push backoff)", () => {
    const { queue } = setup({ pushEndpoint: "http://x/", retryPolicy: undefined });
    queue.enqueue(message("1"));
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      queue.modifyDeadline(queue.take(10)?.ackId ?? "", 0);
      let waited = 0;
      while (!queue.hasReady()) {
        vi.advanceTimersByTime(10);
        waited += 10;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([100, 200]);
  });

  test("extends a lease with modifyDeadline, but only through the current ack id", () => {
    const { queue } = setup();
    queue.enqueue(message("1"));
    const delivery = queue.take(10);
    expect(queue.modifyDeadline(delivery?.ackId ?? "", 60)).toBe(true);
    vi.advanceTimersByTime(59_000);
    expect(queue.hasReady()).toBe(false);
    expect(queue.modifyDeadline("unknown", 60)).toBe(false);
  });

  test("dead-letters after the last attempt with the delivery count and leaves the source", () => {
    const { queue, counters, deadLettered } = setup({
      deadLetter: { topic: "projects/p/topics/dl", maxDeliveryAttempts: 5 },
      retryPolicy: { minimumBackoffMs: 0, maximumBackoffMs: 0 },
    });
    queue.enqueue(message("1"));
    for (let i = 0; i < 5; i++) {
      queue.modifyDeadline(queue.take(10)?.ackId ?? "", 0);
      vi.advanceTimersByTime(0);
    }
    expect(deadLettered).toEqual([["1", 5]]);
    expect(queue.size).toBe(0);
    expect(counters.deadLettered).toBe(1);
  });

  test("acks a message through a fault duplicate's ack id without counting another attempt", () => {
    const { queue, counters } = setup();
    queue.enqueue(message("1"));
    const delivery = queue.take(10);
    const copy = delivery && queue.duplicate(delivery);
    expect(copy?.attempt).toBe(1);
    expect(copy?.ackId).not.toBe(delivery?.ackId);
    expect(queue.acknowledge(copy?.ackId ?? "")).toBe(true);
    expect(queue.size).toBe(0);
    expect(counters.delivered).toBe(2);
  });

  test("drops a message older than the retention duration instead of delivering it", () => {
    const { queue } = setup({ retentionMs: 600_000 });
    queue.enqueue(message("old"));
    vi.advanceTimersByTime(600_001);
    expect(queue.take(10)).toBeUndefined();
    expect(queue.size).toBe(0);
  });

  test("takes a message only once it is minAgeMs old, holding what is behind it until then", () => {
    const { queue } = setup({ retryPolicy: undefined });
    queue.enqueue(message("1"));
    queue.modifyDeadline(queue.take(10)?.ackId ?? "", 0); // "1" is ready again, behind "2" once "2" arrives
    vi.advanceTimersByTime(50);
    queue.enqueue(message("2"));
    queue.enqueue(message("3"));
    expect(queue.msUntilAged(20)).toBe(0); // the redelivered "1" heads the list, long published
    expect(queue.take(10, undefined, 0, undefined, 20)?.message.messageId).toBe("1");
    expect(queue.take(10, undefined, 0, undefined, 20)).toBeUndefined();
    expect(queue.msUntilAged(20)).toBe(20);
    vi.advanceTimersByTime(19);
    expect(queue.take(10, undefined, 0, undefined, 20)).toBeUndefined();
    expect(queue.msUntilAged(20)).toBe(1);
    vi.advanceTimersByTime(1);
    expect(queue.take(10, undefined, 0, undefined, 20)?.message.messageId).toBe("2");
    expect(queue.take(10, undefined, 0, undefined, 20)?.message.messageId).toBe("3");
    expect(queue.msUntilAged(20)).toBeUndefined();
  });

  test("a message of an ordering key too young to join its predecessor's response follows it later", () => {
    const { queue } = setup({ ordered: true });
    queue.enqueue(message("1", "k"));
    vi.advanceTimersByTime(20);
    queue.enqueue(message("2", "k"));
    const batch = newBatch();
    const first = queue.take(10, undefined, 0, batch, 20);
    expect(first?.message.messageId).toBe("1");
    expect(queue.take(10, undefined, 0, batch, 20)).toBeUndefined();
    vi.advanceTimersByTime(20);
    expect(queue.take(10, undefined, 0, newBatch(), 20)).toBeUndefined(); // held until "1" is acknowledged
    queue.acknowledge(first?.ackId ?? "");
    expect(queue.take(10, undefined, 0, newBatch(), 20)?.message.messageId).toBe("2");
  });

  describe("with message ordering", () => {
    // One response's worth, as a Pull or one streaming-pull write takes them.
    const takeAll = (queue: DeliveryQueue) => {
      const taken = [];
      const batch = newBatch();
      const take = () => queue.take(10, undefined, 0, batch);
      for (let delivery = take(); delivery; delivery = take()) taken.push(delivery);
      return taken;
    };
    const ids = (deliveries: { message: StoredMessage }[]) => deliveries.map((d) => d.message.messageId);

    test("delivers each key in publish order, several of a key at once, unkeyed messages unordered", () => {
      const { queue } = setup({ ordered: true });
      for (const [id, key] of [
        ["a1", "a"],
        ["b1", "b"],
        ["a2", "a"],
        ["x", ""],
        ["a3", "a"],
      ]) {
        queue.enqueue(message(id ?? "", key));
      }
      const taken = ids(takeAll(queue));
      expect(taken.filter((id) => id.startsWith("a"))).toEqual(["a1", "a2", "a3"]);
      expect([...taken].sort()).toEqual(["a1", "a2", "a3", "b1", "x"]);
    });

    test("a nacked message is redelivered before the later messages of its key, which are held back", () => {
      const { queue } = setup({ ordered: true, retryPolicy: undefined });
      for (const id of ["1", "2", "3"]) queue.enqueue(message(id, "k"));
      const [first, second] = takeAll(queue);
      queue.modifyDeadline(first?.ackId ?? "", 0);
      expect(queue.modifyDeadline(second?.ackId ?? "", 30)).toBe(false); // its lease was withdrawn
      vi.advanceTimersByTime(0);
      expect(ids(takeAll(queue))).toEqual(["1", "2", "3"]);
    });

    test("a later message of a key waits for the earlier ones to be acknowledged", () => {
      const { queue } = setup({ ordered: true });
      queue.enqueue(message("1", "k"));
      const [first] = takeAll(queue);
      queue.enqueue(message("2", "k"));
      expect(takeAll(queue)).toEqual([]);
      queue.acknowledge(first?.ackId ?? "");
      expect(ids(takeAll(queue))).toEqual(["2"]);
    });

    test("a message nacked while an earlier one of its key is out waits for that one, without backoff", () => {
      const { queue } = setup({ ordered: true });
      for (const id of ["1", "2"]) queue.enqueue(message(id, "k"));
      const [first, second] = takeAll(queue);
      queue.modifyDeadline(second?.ackId ?? "", 0);
      vi.advanceTimersByTime(5_000); // past the 1 s minimum backoff, within the lease of "1"
      expect(takeAll(queue)).toEqual([]);
      queue.acknowledge(first?.ackId ?? "");
      expect(ids(takeAll(queue))).toEqual(["2"]);
    });

    test("an expired lease holds back its key until the message is delivered again", () => {
      const { queue } = setup({ ordered: true, retryPolicy: undefined });
      queue.enqueue(message("1", "k"));
      queue.enqueue(message("2", "k"));
      const [first] = takeAll(queue);
      vi.advanceTimersByTime(10_000);
      vi.advanceTimersByTime(1); // the redelivery, at once without a retry policy (fake timers need 1 ms)
      const again = takeAll(queue);
      expect(ids(again)).toEqual(["1", "2"]);
      expect(again[0]?.ackId).not.toBe(first?.ackId);
    });

    test("push delivers one message of a key at a time, the next after the ack", () => {
      const { queue } = setup({ ordered: true, pushEndpoint: "http://x/" });
      for (const id of ["1", "2"]) queue.enqueue(message(id, "k"));
      const first = queue.take(10); // push takes one at a time, outside any batch
      expect(queue.take(10)).toBeUndefined();
      queue.acknowledge(first?.ackId ?? "");
      expect(queue.take(10)?.message.messageId).toBe("2");
    });

    test("a dead-lettered message lets the rest of its key through", () => {
      const { queue, deadLettered } = setup({
        ordered: true,
        retryPolicy: undefined,
        deadLetter: { topic: "projects/p/topics/dl", maxDeliveryAttempts: 5 },
      });
      for (const id of ["1", "2"]) queue.enqueue(message(id, "k"));
      for (let i = 0; i < 5; i++) {
        const [head] = takeAll(queue);
        queue.modifyDeadline(head?.ackId ?? "", 0);
        vi.advanceTimersByTime(0);
      }
      expect(deadLettered).toEqual([["1", 5]]);
      expect(ids(takeAll(queue))).toEqual(["2"]);
    });
  });

  test("reset withdraws every lease and makes exactly the given messages unacked, keeping acked ones only when retained", () => {
    const { queue } = setup({ retainAcked: true });
    for (const id of ["1", "2", "3"]) queue.enqueue(message(id));
    const first = queue.take(10);
    queue.acknowledge(first?.ackId ?? "");
    const second = queue.take(10);
    expect(queue.retained().map((m) => m.messageId)).toEqual(["1", "2", "3"]);
    queue.reset([message("1")]);
    expect(queue.acknowledge(second?.ackId ?? "")).toBe(false); // the lease was withdrawn
    expect(queue.unacked().map((m) => m.messageId)).toEqual(["1"]);
    expect(queue.retained().map((m) => m.messageId)).toEqual(["1", "2", "3"]);
    expect(queue.take(10)?.message.messageId).toBe("1");
  });
});

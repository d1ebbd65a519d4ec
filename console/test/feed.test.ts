// The pipeline feed on a hand-driven clock: totals, rates over the last samples, per-subscription backlog,
// the publish → stored latency window, dead letters by source subscription, and the history bound.
import { ZERO_COUNTS as zero } from "@scan-ingest/pipeline/outcomes";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { createPipelineFeed, percentiles, type PipelineSource, type Counts } from "../feed.ts";

let totals: Counts;
let clock: number;
let letters: Array<{ messageId: string; data: Buffer; attributes: Record<string, string> }>;

const source = (): PipelineSource => ({
  emulators: "embedded",
  topic: "scan-topic",
  deadLetterTopic: "scan-dead-letter",
  deadLetterSubscription: "scan-dead-letter-sub",
  subscriptions: [
    { name: "scan-sub", endpoint: "http://127.0.0.1:8090" },
    { name: "scan-sub-2", endpoint: "http://127.0.0.1:8091" },
  ],
  instances: [
    { index: 1, url: "http://127.0.0.1:8090", subscription: "scan-sub" },
    { index: 2, url: "http://127.0.0.1:8091", subscription: "scan-sub-2" },
  ],
  totals: () => ({ ...totals }),
  deadLetters: async () => letters,
});

beforeEach(() => {
  vi.useFakeTimers();
  clock = 1_000_000;
  totals = { ...zero };
  letters = [];
});
afterEach(() => vi.useRealTimers());

const advance = async (ms: number) => {
  clock += ms;
  await vi.advanceTimersByTimeAsync(ms);
};

test("rates are per second over the last samples, and every sample reaches subscribers with one more point", async () => {
  const feed = createPipelineFeed(source(), { now: () => clock, sampleMs: 1_000 });
  const seen: number[] = [];
  feed.subscribe((snapshot) => seen.push(snapshot.history.length));
  for (let second = 1; second <= 5; second++) {
    totals = { ...totals, published: totals.published + 10, stored: totals.stored + 8 };
    await advance(1_000);
  }
  const snapshot = feed.snapshot();
  expect(seen).toEqual([1, 2, 3, 4, 5]);
  expect(snapshot.totals.published).toBe(50);
  expect(snapshot.rates.published).toBe(10);
  expect(snapshot.rates.stored).toBe(8);
  expect(snapshot.history.at(-1)!.rates).toMatchObject({ published: 10, stored: 8, rejected: 0 });
  feed.stop();
});

test("history keeps only the last historySeconds", async () => {
  const feed = createPipelineFeed(source(), { now: () => clock, sampleMs: 1_000, historySeconds: 3 });
  for (let second = 0; second < 10; second++) await advance(1_000);
  const history = feed.snapshot().history;
  expect(history).toHaveLength(3);
  expect(history.map((point) => point.at)).toEqual([clock - 2_000, clock - 1_000, clock]);
  feed.stop();
});

test("backlog per subscription is published minus what it acknowledged minus what it dead-lettered", async () => {
  const feed = createPipelineFeed(source(), { now: () => clock, deadLetterPollMs: 1_000 });
  totals = { ...totals, published: 10, stored: 7, failed: 3, deadLettered: 1 };
  for (let index = 0; index < 7; index++) feed.delivery({ instance: 1, outcome: "stored" });
  feed.delivery({ instance: 1, outcome: "failed" });
  feed.delivery({ instance: 2, outcome: "rejected" });
  letters = [
    {
      messageId: "dl-1",
      data: Buffer.from([0xff, 0x00]),
      attributes: {
        CloudPubSubDeadLetterSourceSubscription: "projects/demo-scan/subscriptions/scan-sub",
        CloudPubSubDeadLetterSourceDeliveryCount: "5",
      },
    },
  ];
  await advance(1_000);
  const snapshot = feed.snapshot();
  const [main, dead] = snapshot.topics;
  expect(main!.subscriptions).toEqual([
    { name: "scan-sub", endpoint: "http://127.0.0.1:8090", acknowledged: 7, deadLettered: 1, backlog: 2 },
    { name: "scan-sub-2", endpoint: "http://127.0.0.1:8091", acknowledged: 1, deadLettered: 0, backlog: 9 },
  ]);
  expect(dead!.subscriptions[0]).toMatchObject({ name: "scan-dead-letter-sub", backlog: 1 });
  expect(snapshot.instances).toEqual([
    { index: 1, url: "http://127.0.0.1:8090", subscription: "scan-sub", acknowledged: 7, failed: 1 },
    { index: 2, url: "http://127.0.0.1:8091", subscription: "scan-sub-2", acknowledged: 1, failed: 0 },
  ]);
  expect(snapshot.deadLetters).toEqual([
    { messageId: "dl-1", subscription: "scan-sub", deliveryAttempts: 5, size: 2, dataBase64: "/wA=" },
  ]);
  feed.stop();
});

test("instances sharing one subscription each count their own share, and the subscription their sum", () => {
  const shared = { name: "scan-sub", endpoint: "http://127.0.0.1:8090" };
  const feed = createPipelineFeed({
    ...source(),
    subscriptions: [shared],
    instances: [1, 2, 3].map((index) => ({
      index,
      url: `http://127.0.0.1:${8090 + index}`,
      subscription: "scan-sub",
    })),
  });
  totals = { ...totals, published: 10 };
  const by = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1];
  for (const instance of by) feed.delivery({ instance, outcome: "stored" });
  feed.delivery({ instance: 4, outcome: "stored" }); // not an instance of this pipeline: not counted
  const snapshot = feed.snapshot();
  expect(snapshot.instances.map((each) => each.acknowledged)).toEqual([4, 3, 3]);
  expect(snapshot.topics[0]!.subscriptions).toEqual([
    { ...shared, acknowledged: 10, deadLettered: 0, backlog: 0 },
  ]);
  feed.stop();
});

test("latency is the stored deliveries' publish → stored lag within the window only", async () => {
  const feed = createPipelineFeed(source(), { now: () => clock, latencyWindowSeconds: 10 });
  expect(feed.snapshot().latency).toBeNull();
  for (let lag = 1; lag <= 100; lag++) feed.delivery({ instance: 1, outcome: "stored", lagMs: lag });
  feed.delivery({ instance: 1, outcome: "stale", lagMs: 100_000 });
  expect(feed.snapshot().latency).toEqual({ p50: 50, p99: 99, count: 100, windowSeconds: 10 });
  await advance(11_000);
  feed.delivery({ instance: 1, outcome: "stored", lagMs: 7 });
  expect(feed.snapshot().latency).toEqual({ p50: 7, p99: 7, count: 1, windowSeconds: 10 });
  feed.stop();
});

test("nearest-rank percentiles", () => {
  expect(percentiles([], 60)).toBeNull();
  expect(percentiles([5], 60)).toEqual({ p50: 5, p99: 5, count: 1, windowSeconds: 60 });
  expect(percentiles([3, 1, 2, 4], 60)).toMatchObject({ p50: 2, p99: 4 });
});

test("dead letters are listed newest first by publish time, whatever order the pull returned, at most 20", async () => {
  const feed = createPipelineFeed(source(), { now: () => clock, deadLetterPollMs: 1_000 });
  letters = Array.from({ length: 30 }, (_, index) => ({
    messageId: String(index),
    data: Buffer.from("x"),
    attributes: {
      CloudPubSubDeadLetterSourceTopicPublishTime: new Date(1_000_000 + index * 1_000).toISOString(),
    },
  })).reverse();
  letters.push(letters.shift()!); // the newest last, as a pull may return it
  await advance(1_000);
  const shown = feed.snapshot().deadLetters.map((letter) => letter.messageId);
  expect(shown).toEqual(Array.from({ length: 20 }, (_, index) => String(29 - index)));
  feed.stop();
});

test("a dead-letter read that fails keeps the last good list", async () => {
  letters = [{ messageId: "a", data: Buffer.from("x"), attributes: {} }];
  const feed = createPipelineFeed(
    { ...source(), deadLetters: async () => (fail ? Promise.reject(new Error("UNAVAILABLE")) : letters) },
    { now: () => clock, deadLetterPollMs: 1_000 },
  );
  let fail = false;
  await advance(1_000);
  expect(feed.snapshot().deadLetters.map((letter) => letter.messageId)).toEqual(["a"]);
  fail = true;
  await advance(3_000);
  expect(feed.snapshot().deadLetters.map((letter) => letter.messageId)).toEqual(["a"]);
  feed.stop();
});

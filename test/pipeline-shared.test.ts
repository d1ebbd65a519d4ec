// The pipeline library (@scan-ingest/pipeline) with three real functions-framework servers sharing one push
// subscription behind the pipeline's front, as Cloud Run's instances share one: each message is processed by
// one instance, round robin; a killed instance is skipped and a restarted one takes its share again; with none
// running, the front answers 503 and Pub/Sub redelivers until one is back. Emulators: FIRESTORE_EMULATOR_HOST /
// PUBSUB_EMULATOR_HOST when set, else embedded ones the pipeline starts.
import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startPipeline, type OutcomeEvent, type Pipeline } from "@scan-ingest/pipeline";
import { emulatorPubSub } from "@scan-ingest/pipeline/clients";

const suffix = `shared-${process.pid}-${Date.now().toString(36)}`;
const outcomes: OutcomeEvent[] = [];
let pipeline: Pipeline;
let client: PubSub;

beforeAll(async () => {
  pipeline = await startPipeline({
    instances: 3,
    ...(process.env.FIRESTORE_EMULATOR_HOST ? { firestoreHost: process.env.FIRESTORE_EMULATOR_HOST } : {}),
    ...(process.env.PUBSUB_EMULATOR_HOST ? { pubsubHost: process.env.PUBSUB_EMULATOR_HOST } : {}),
    topic: `scan-topic-${suffix}`,
    functionEnv: {
      SERVICES_COLLECTION: `services-pipeline-${suffix}`,
      REJECTS_COLLECTION: `rejects-pipeline-${suffix}`,
    },
    // The default backoff (1 s growing to 10 s): five attempts outlast restarting every instance at once.
    onOutcome: (event) => outcomes.push(event),
    onOutput: () => undefined,
  });
  client = emulatorPubSub({ host: pipeline.pubsubHost, projectId: pipeline.projectId });
});

afterAll(async () => {
  await client?.close();
  await pipeline?.stop();
});

let nextPort = 1;
/** Scans of keys never published before in this file, so each is stored. */
const publish = (count: number) =>
  Promise.all(
    Array.from({ length: count }, () =>
      client.topic(pipeline.topic).publishMessage({
        data: Buffer.from(
          JSON.stringify({
            ip: "1.1.1.10",
            port: nextPort++,
            service: "HTTP",
            timestamp: 1732262400,
            data_version: 2,
            data: { response_str: "ok" },
          }),
        ),
      }),
    ),
  );

/** Per instance, the acknowledged outcomes of `ids`. */
function acknowledgedBy(ids: readonly string[]): Map<number, string[]> {
  const wanted = new Set(ids);
  const by = new Map(pipeline.instances.map((instance) => [instance.index, [] as string[]]));
  for (const event of outcomes)
    if (event.outcome !== "failed" && event.messageId !== undefined && wanted.has(event.messageId))
      by.get(event.instance)!.push(event.messageId);
  return by;
}

/** Waits until every one of `ids` was acknowledged by some instance. */
async function untilAcknowledged(ids: readonly string[], what: string): Promise<void> {
  const done = () => new Set([...acknowledgedBy(ids).values()].flat()).size;
  await expect.poll(done, { timeout: 30_000, interval: 100, message: what }).toBe(ids.length);
}

test("one push subscription, to the front; every instance behind it on a port of its own", () => {
  const subscription = `scan-topic-${suffix}-sub`;
  expect(pipeline.front).toBeDefined();
  expect(pipeline.subscriptions).toEqual([
    {
      name: subscription,
      endpoint: `${pipeline.front!.url}/projects/${pipeline.projectId}/topics/${pipeline.topic}`,
    },
  ]);
  expect(pipeline.instances.map((instance) => instance.subscription)).toEqual([
    subscription,
    subscription,
    subscription,
  ]);
  const ports = new Set([pipeline.front!.port, ...pipeline.instances.map((instance) => instance.port)]);
  expect(ports.size).toBe(4);
});

test("each message is acknowledged once, by one instance, and the instances take turns", async () => {
  const ids = await publish(30);
  await pipeline.waitForDrain({ timeoutMs: 30_000, expectedOutcomes: 30 });
  const by = acknowledgedBy(ids);
  expect([...by.values()].flat().sort()).toEqual([...ids].sort());
  expect([...by.values()].map((acked) => acked.length)).toEqual([10, 10, 10]);
  expect(pipeline.instanceTotals().map((each) => each.instance)).toEqual([1, 2, 3]);
});

test("a killed instance is skipped, the others take every message, and once restarted it takes its turn again", async () => {
  const second = pipeline.instances[1]!;
  await second.kill("SIGKILL");
  const during = await publish(20);
  await untilAcknowledged(during, "the messages published while instance 2 was down");
  const whileDown = acknowledgedBy(during);
  expect(whileDown.get(2)).toEqual([]);
  expect(whileDown.get(1)!.length + whileDown.get(3)!.length).toBe(20);

  await second.restart();
  const after = await publish(30);
  await untilAcknowledged(after, "the messages published after the restart");
  expect([...acknowledgedBy(after).values()].map((acked) => acked.length)).toEqual([10, 10, 10]);
});

test("with no instance running the front answers 503, so Pub/Sub redelivers; after a restart nothing is lost", async () => {
  for (const instance of pipeline.instances) await instance.kill("SIGKILL");
  const refused = await fetch(pipeline.subscriptions[0]!.endpoint, { method: "POST", body: "{}" });
  expect(refused.status).toBe(503);
  const nackedBefore = pipeline.pubsub?.counters.nacked ?? 0;
  const ids = await publish(5);
  // The embedded emulator counts the refused pushes; on another, the 503 above is the evidence.
  if (pipeline.pubsub)
    await expect
      .poll(() => pipeline.pubsub!.counters.nacked, { timeout: 30_000, message: "refused pushes" })
      .toBeGreaterThanOrEqual(nackedBefore + 5);
  expect([...acknowledgedBy(ids).values()].flat()).toEqual([]);
  await Promise.all(pipeline.instances.map((instance) => instance.restart()));
  await untilAcknowledged(ids, "the messages refused while every instance was down");
});

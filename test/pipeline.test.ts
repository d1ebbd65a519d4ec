// The pipeline library (@scan-ingest/pipeline) as a duplicate storm of two real functions-framework servers, each
// behind its own push subscription: a server crashed with SIGKILL and restarted on its port gets its
// subscription's messages again, and a message its subscription cannot deliver is dead-lettered after 5
// attempts and kept. Instances sharing one subscription: pipeline-shared.test.ts. Emulators: FIRESTORE_EMULATOR_HOST /
// PUBSUB_EMULATOR_HOST when set, else embedded ones the pipeline starts.
import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startPipeline, type OutcomeEvent, type Pipeline } from "@scan-ingest/pipeline";
import { emulatorPubSub } from "@scan-ingest/pipeline/clients";

const external = Boolean(process.env.PUBSUB_EMULATOR_HOST);
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const outcomes: OutcomeEvent[] = [];
let pipeline: Pipeline;
let client: PubSub;

beforeAll(async () => {
  pipeline = await startPipeline({
    instances: 2,
    duplicateStorm: true,
    ...(process.env.FIRESTORE_EMULATOR_HOST ? { firestoreHost: process.env.FIRESTORE_EMULATOR_HOST } : {}),
    ...(process.env.PUBSUB_EMULATOR_HOST ? { pubsubHost: process.env.PUBSUB_EMULATOR_HOST } : {}),
    // A shared external emulator gets a topic of its own; the embedded one shows the default names.
    ...(external ? { topic: `scan-topic-${suffix}` } : {}),
    functionEnv: {
      SERVICES_COLLECTION: `services-pipeline-${suffix}`,
      REJECTS_COLLECTION: `rejects-pipeline-${suffix}`,
    },
    retryBackoffSeconds: { minimum: 0.1, maximum: 0.5 },
    onOutcome: (event) => outcomes.push(event),
    onOutput: () => undefined,
  });
  client = emulatorPubSub({ host: pipeline.pubsubHost, projectId: pipeline.projectId });
});

afterAll(async () => {
  await client?.close();
  await pipeline?.stop();
});

const scan = (port: number) =>
  Buffer.from(
    JSON.stringify({
      ip: "1.1.1.9",
      port,
      service: "HTTP",
      timestamp: 1732262400,
      data_version: 2,
      data: { response_str: `response ${port}` },
    }),
  );

const publish = (ports: number[]) =>
  Promise.all(ports.map((port) => client.topic(pipeline.topic).publishMessage({ data: scan(port) })));

/** Message ids instance `index` acknowledged (stored, stale, duplicate or rejected). */
const acknowledgedBy = (index: number) =>
  new Set(
    outcomes
      .filter((event) => event.instance === index && event.outcome !== "failed")
      .map((event) => event.messageId),
  );

/** How long, and how often, the tests look for what the pipeline does. */
const WITHIN = { timeout: 30_000, interval: 100 };

test("in a duplicate storm, names one push subscription per instance, each pushing to its server", () => {
  const base = external ? `scan-topic-${suffix}-sub` : "scan-sub";
  expect(pipeline.instances.map((instance) => instance.subscription)).toEqual([base, `${base}-2`]);
  expect(pipeline.front).toBeUndefined();
  expect(pipeline.subscriptions.map(({ name, endpoint }) => [name, new URL(endpoint).port])).toEqual(
    pipeline.instances.map((instance) => [instance.subscription, String(instance.port)]),
  );
  if (!external) expect(pipeline.deadLetterSubscription).toBe("scan-dead-letter-sub");
});

test("a server killed with SIGKILL and restarted on its port gets every message of its subscription", async () => {
  const second = pipeline.instances[1]!;
  const { port, pid } = second;
  const before = await publish([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  await second.kill("SIGKILL");
  expect(second.pid).toBeUndefined();
  const during = await publish([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  await second.restart();
  expect(second.port).toBe(port);
  expect(second.pid).not.toBe(pid);
  const after = await publish([21, 22, 23, 24, 25]);
  const all = [...before, ...during, ...after];
  await pipeline.waitForDrain({ timeoutMs: 30_000, expectedOutcomes: 2 * all.length });
  for (const index of [1, 2]) expect([...acknowledgedBy(index)].sort()).toEqual([...all].sort());
  const totals = pipeline.totals();
  expect(totals.stored).toBeGreaterThanOrEqual(all.length);
  expect(totals.stored + totals.stale + totals.duplicate).toBeGreaterThanOrEqual(2 * all.length);
});

// On both targets: Google's emulator dead-letters push deliveries too, only its retries are ~1 s then ~3 s
// apart whatever the retry policy (docs/parity.md), so 5 attempts take about 10 s there.
test("a message one subscription cannot deliver is dead-lettered after 5 attempts and kept", async () => {
  const first = pipeline.instances[0]!;
  await first.kill("SIGKILL");
  const [messageId] = await publish([99]);
  await expect
    .poll(() => acknowledgedBy(2).has(messageId), { ...WITHIN, message: "the live instance to process it" })
    .toBe(true);
  // Republished to the dead-letter topic, the message gets a new id there: it is found by its data.
  const isOurs = (letter: { data: Buffer }) => letter.data.equals(scan(99));
  await expect
    .poll(async () => (await pipeline.deadLettered()).some(isOurs), { ...WITHIN, message: "the dead letter" })
    .toBe(true);
  const letters = await pipeline.deadLettered(); // read again: reading does not consume
  expect(letters.filter(isOurs)).toHaveLength(1);
  const letter = letters.find(isOurs)!;
  expect(letter.attributes).toMatchObject({
    CloudPubSubDeadLetterSourceDeliveryCount: "5",
    CloudPubSubDeadLetterSourceSubscription: first.subscription,
  });
  await expect
    .poll(() => pipeline.totals().deadLettered, { ...WITHIN, message: "the dead letter to be counted" })
    .toBe(1);
  await first.restart();
  await pipeline.waitForDrain({ timeoutMs: 10_000 });
});

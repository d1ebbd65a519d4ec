// The Pub/Sub topology `npm run emulators:firebase` creates, against the embedded emulator (or PUBSUB_EMULATOR_HOST).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PubSub } from "@google-cloud/pubsub";
import { start, type PubSubEmulator } from "@scan-ingest/emulator-pubsub";
import { afterAll, beforeAll, expect, test } from "vitest";
import { defaultTopology, ensurePushTopology } from "@scan-ingest/pipeline/topology";
import { emulatorPubSub } from "@scan-ingest/pipeline/clients";

type Endpoint = { url: string; bodies: string[]; server: Server };
let emulator: PubSubEmulator | undefined;
let pubsub: PubSub;
const endpoints: Endpoint[] = [];

beforeAll(async () => {
  const external = process.env.PUBSUB_EMULATOR_HOST;
  emulator = external ? undefined : await start();
  const host = external ?? emulator?.host ?? "";
  pubsub = emulatorPubSub({ host: host, projectId: "demo-scan" });
});

afterAll(async () => {
  await pubsub.close();
  await emulator?.stop();
  for (const endpoint of endpoints) endpoint.server.close();
});

/** A push endpoint on loopback that acknowledges everything and keeps the bodies. */
async function endpoint(): Promise<Endpoint> {
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      bodies.push(body);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const created = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, bodies, server };
  endpoints.push(created);
  return created;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

const pushedData = (body: string) =>
  Buffer.from((JSON.parse(body) as { message: { data: string } }).message.data, "base64").toString();

test("creates scan-topic, push subscription scan-sub with a 5-attempt dead letter, and a place for dead letters", async () => {
  const first = await endpoint();
  expect(await ensurePushTopology(pubsub, defaultTopology(first.url))).toEqual([]);
  const [metadata] = await pubsub.subscription("scan-sub").getMetadata();
  expect(metadata.topic).toBe(pubsub.topic("scan-topic").name);
  expect(metadata.pushConfig?.pushEndpoint).toBe(first.url);
  expect(metadata.deadLetterPolicy).toMatchObject({
    deadLetterTopic: pubsub.topic("scan-dead-letter").name,
    maxDeliveryAttempts: 5,
  });
  const [deadLetters] = await pubsub.subscription("scan-dead-letter-sub").getMetadata();
  expect(deadLetters.topic).toBe(pubsub.topic("scan-dead-letter").name);

  await pubsub.topic("scan-topic").publishMessage({ data: Buffer.from("first") });
  await until(() => first.bodies.length > 0);
  expect(first.bodies.map(pushedData)).toEqual(["first"]);

  // Run again (a restart on another port): nothing is duplicated, and the push follows the new endpoint.
  const second = await endpoint();
  expect(await ensurePushTopology(pubsub, defaultTopology(second.url))).toEqual([]);
  await pubsub.topic("scan-topic").publishMessage({ data: Buffer.from("second") });
  await until(() => second.bodies.length > 0);
  expect(second.bodies.map(pushedData)).toEqual(["second"]);
  expect(first.bodies.map(pushedData)).toEqual(["first"]);
  const [subscriptions] = await pubsub.topic("scan-topic").getSubscriptions();
  expect(subscriptions.map((subscription) => subscription.name)).toEqual([
    pubsub.subscription("scan-sub").name,
  ]);
});

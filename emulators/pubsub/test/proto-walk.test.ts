import { createRequire } from "node:module";
import { v1 } from "@google-cloud/pubsub";
import { credentials, status } from "@grpc/grpc-js";
import type * as Protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fieldPaths, testSources, withField } from "@scan-ingest/emulator-shared/proto-walk";
import { protoRoot } from "@scan-ingest/emulator-shared/service-definitions";
import { start, type PubSubEmulator } from "../src/index.ts";
import { REFUSED_FIELDS } from "../src/refusals.ts";
import { pushEndpoint, unique } from "./harness.ts";

// Every field of every request the embedded emulator serves is either honoured — named here with the title
// of a test that exercises it — or refused UNIMPLEMENTED by name (src/refusals.ts); every method it does not
// serve answers UNIMPLEMENTED naming the method. A new proto field fails this test until it is put on one side.
const require = createRequire(import.meta.url);
const root = protoRoot(require("@google-cloud/pubsub/build/protos/protos.json") as Protobuf.INamespace);
const services = ["Publisher", "Subscriber", "SchemaService"].map((name) =>
  root.lookupService(`google.pubsub.v1.${name}`),
);

/** Methods the embedded emulator does not serve, with the v1 client and a request that reaches each. */
const UNSERVED: Record<string, (clients: Clients) => Promise<unknown>> = {
  DetachSubscription: (c) => c.publisher.detachSubscription({ subscription: c.subscription }),
  UpdateSnapshot: (c) =>
    c.subscriber.updateSnapshot({ snapshot: { name: c.snapshot }, updateMask: { paths: ["labels"] } }),
  ListSchemaRevisions: (c) => c.schemas.listSchemaRevisions({ name: c.schema }, { autoPaginate: false }),
  CommitSchema: (c) => c.schemas.commitSchema({ name: c.schema, schema: {} }),
  RollbackSchema: (c) => c.schemas.rollbackSchema({ name: c.schema, revisionId: "r" }),
  DeleteSchemaRevision: (c) => c.schemas.deleteSchemaRevision({ name: c.schema, revisionId: "r" }),
};

const OUTPUT_ONLY =
  "output-only fields sent on input are ignored, as production documents: a topic's state and satisfies_pzs, a subscription's state, topic_message_retention_duration and analytics_hub_subscription_info, a message's message_id and publish_time";
const LABELS = "labels and message retention are kept on topics, subscriptions and snapshots";
const PAGES = "every list pages with page_size and page_token";
const UPDATE_TOPIC = "UpdateTopic replaces the fields its update mask names and leaves the rest";
const UPDATE_SUBSCRIPTION =
  "UpdateSubscription replaces the fields its update mask names and leaves the rest";
const STREAM =
  "StreamingPull acks and extends deadlines on the stream, keeps max_outstanding_messages, and accepts the client's client_id and protocol_version";
const PULL = "Pull returns at most max_messages, and with return_immediately answers at once";
const WRAPPER =
  "a push config with pubsub_wrapper and x-goog-version v1 pushes the JSON envelope and keeps both";
const EXPIRATION = "an expiration policy without a ttl, which means never expire, is accepted and kept";
const SCHEMA_LIFE = "creates an Avro schema, gets and lists it in both views, and deletes it";
const SCHEMA_TOPIC =
  "a topic naming a missing schema or no encoding is refused; a deleted schema stops its topic's publishes";
const TOPIC_LIFE = "creates, gets, lists and deletes a topic, answering ALREADY_EXISTS and NOT_FOUND";
const SUBSCRIPTION_LIFE =
  "creates a subscription, lists it under its topic, and answers ALREADY_EXISTS and NOT_FOUND";
const SNAPSHOT_LIFE = "creates, gets, lists and deletes a snapshot, answering ALREADY_EXISTS and NOT_FOUND";

/** The fields of a Topic (under `prefix`) and the tests that honour them. */
const topicFields = (method: string, prefix: string): Record<string, string> => ({
  [`${method} ${prefix}name`]: TOPIC_LIFE,
  [`${method} ${prefix}schemaSettings`]: SCHEMA_TOPIC,
  [`${method} ${prefix}labels`]: LABELS,
  [`${method} ${prefix}messageRetentionDuration`]: LABELS,
  [`${method} ${prefix}satisfiesPzs`]: OUTPUT_ONLY,
  [`${method} ${prefix}state`]: OUTPUT_ONLY,
});

/** The fields of a PushConfig (under `prefix`) and the tests that honour them. */
const pushFields = (method: string, prefix: string): Record<string, string> => ({
  [`${method} ${prefix}pushConfig`]: "posts the JSON envelope and stops when the endpoint answers 204",
  [`${method} ${prefix}pushConfig.attributes`]: WRAPPER,
  [`${method} ${prefix}pushConfig.pubsubWrapper`]: WRAPPER,
});

/** The fields of a Subscription (under `prefix`) and the tests that honour them. */
const subscriptionFields = (method: string, prefix: string): Record<string, string> => ({
  ...pushFields(method, prefix),
  [`${method} ${prefix}name`]: SUBSCRIPTION_LIFE,
  [`${method} ${prefix}topic`]: SUBSCRIPTION_LIFE,
  [`${method} ${prefix}ackDeadlineSeconds`]: "redelivers a message whose ack deadline expired",
  [`${method} ${prefix}retainAckedMessages`]:
    "seeking to a time with retain_acked_messages replays the messages published from then on",
  [`${method} ${prefix}messageRetentionDuration`]: LABELS,
  [`${method} ${prefix}labels`]: LABELS,
  [`${method} ${prefix}enableMessageOrdering`]:
    "enable_message_ordering delivers each ordering key in publish order on pull",
  [`${method} ${prefix}expirationPolicy`]: EXPIRATION,
  [`${method} ${prefix}deadLetterPolicy`]:
    "dead-letters after the maximum attempts, counting deliveryAttempt on each pull",
  [`${method} ${prefix}retryPolicy`]:
    "retries after a 500 no sooner than the minimum backoff, counting the attempt",
  [`${method} ${prefix}topicMessageRetentionDuration`]: OUTPUT_ONLY,
  [`${method} ${prefix}state`]: OUTPUT_ONLY,
  [`${method} ${prefix}analyticsHubSubscriptionInfo`]: OUTPUT_ONLY,
});

/** Honoured fields by "Method path" prefix; the longest prefix names the test that exercises the field. */
const HONOURED: Record<string, string> = {
  ...topicFields("CreateTopic", ""),
  ...topicFields("UpdateTopic", "topic."),
  "UpdateTopic topic": UPDATE_TOPIC,
  "UpdateTopic updateMask": UPDATE_TOPIC,
  "Publish topic": "delivers only what was published after the subscription existed",
  "Publish messages": "delivers only what was published after the subscription existed",
  "Publish messages.attributes": "keeps attributes and ordering keys intact",
  "Publish messages.orderingKey": "keeps attributes and ordering keys intact",
  "Publish messages.messageId": OUTPUT_ONLY,
  "Publish messages.publishTime": OUTPUT_ONLY,
  GetTopic: TOPIC_LIFE,
  "ListTopics project": TOPIC_LIFE,
  ListTopicSubscriptions: SUBSCRIPTION_LIFE,
  ListTopicSnapshots: "lists no snapshots, topic snapshots or schemas where none exist",
  DeleteTopic: TOPIC_LIFE,
  ...subscriptionFields("CreateSubscription", ""),
  ...subscriptionFields("UpdateSubscription", "subscription."),
  "UpdateSubscription subscription": UPDATE_SUBSCRIPTION,
  "UpdateSubscription updateMask": UPDATE_SUBSCRIPTION,
  GetSubscription: SUBSCRIPTION_LIFE,
  "ListSubscriptions project": SUBSCRIPTION_LIFE,
  DeleteSubscription: SUBSCRIPTION_LIFE,
  ModifyAckDeadline: "redelivers a message whose ack deadline expired",
  Acknowledge: "delivers 10,000 batched publishes to a streaming-pull subscriber that acks, none twice",
  Pull: PULL,
  StreamingPull: STREAM,
  ...pushFields("ModifyPushConfig", ""),
  "ModifyPushConfig subscription": "updates a subscription's ack deadline and push config",
  "ModifyPushConfig pushConfig.pushEndpoint": "updates a subscription's ack deadline and push config",
  GetSnapshot: SNAPSHOT_LIFE,
  "ListSnapshots project": SNAPSHOT_LIFE,
  CreateSnapshot: SNAPSHOT_LIFE,
  "CreateSnapshot labels": LABELS,
  DeleteSnapshot: SNAPSHOT_LIFE,
  "Seek subscription":
    "seeking to a snapshot makes unacked exactly its backlog and what was published after it",
  "Seek snapshot": "seeking to a snapshot makes unacked exactly its backlog and what was published after it",
  "Seek time": "seeking to a time with retain_acked_messages replays the messages published from then on",
  "ListSchemas parent": "lists no snapshots, topic snapshots or schemas where none exist",
  "ListSchemas view": SCHEMA_LIFE,
  // A created schema's name is ignored and its revision fields are output only (CreateSchemaRequest.schema).
  CreateSchema: SCHEMA_LIFE,
  GetSchema: SCHEMA_LIFE,
  DeleteSchema: SCHEMA_LIFE,
  ValidateSchema: "refuses bad definitions, names and types INVALID_ARGUMENT, on create and on validate",
  ValidateMessage: "validates a message against a stored or inline Avro schema, in JSON and binary encoding",
};
for (const method of ["ListTopics", "ListTopicSubscriptions", "ListTopicSnapshots", "ListSubscriptions"]) {
  HONOURED[`${method} pageSize`] = PAGES;
  HONOURED[`${method} pageToken`] = PAGES;
}
for (const method of ["ListSnapshots", "ListSchemas"]) {
  HONOURED[`${method} pageSize`] = PAGES;
  HONOURED[`${method} pageToken`] = PAGES;
}

const allTitles = testSources(import.meta.dirname);

/** Every "Method field" of the served methods, with where it is placed: honoured, refused or neither. */
function placements(): { key: string; place: "honoured" | "refused" | "unplaced"; title?: string }[] {
  return services.flatMap((service) =>
    service.methodsArray
      .filter((method) => !(method.name in UNSERVED))
      .flatMap((method) => {
        method.resolve();
        return fieldPaths(method.resolvedRequestType as Protobuf.Type).map((fieldPath) => {
          const key = `${method.name} ${fieldPath}`;
          const refused = (REFUSED_FIELDS[method.name] ?? []).some(
            (r) => fieldPath === r || fieldPath.startsWith(`${r}.`),
          );
          if (refused) return { key, place: "refused" as const };
          const prefix = Object.keys(HONOURED)
            .filter((p) => key === p || key.startsWith(p.includes(" ") ? `${p}.` : `${p} `))
            .sort((a, b) => b.length - a.length)[0];
          return prefix
            ? { key, place: "honoured" as const, title: HONOURED[prefix] }
            : { key, place: "unplaced" as const };
        });
      }),
  );
}

describe("proto walk", () => {
  test("every field of every served request is honoured by a named test or refused by name", () => {
    const placed = placements();
    expect(placed.filter((p) => p.place === "unplaced").map((p) => p.key)).toEqual([]);
    const missing = new Set(
      placed.flatMap((p) => (p.title && !allTitles.includes(p.title) ? [p.title] : [])),
    );
    expect([...missing]).toEqual([]);
    // Every refusal names a field the protos have, so a renamed field cannot leave a dead refusal behind.
    const keys = new Set(placed.map((p) => p.key));
    const dead = Object.entries(REFUSED_FIELDS).flatMap(([method, paths]) =>
      paths.filter((p) => !keys.has(`${method} ${p}`)).map((p) => `${method} ${p}`),
    );
    expect(dead).toEqual([]);
  });
});

/** The raw v1 clients on the embedded emulator, and names of resources that exist there. */
interface Clients {
  publisher: v1.PublisherClient;
  subscriber: v1.SubscriberClient;
  schemas: v1.SchemaServiceClient;
  project: string;
  topic: string;
  subscription: string;
  snapshot: string;
  schema: string;
}

// The tests below run on the embedded emulator: they are about what it refuses and how.
let emulator: PubSubEmulator;
let c: Clients;
const project = "projects/walk";
beforeAll(async () => {
  emulator = await start();
  const [servicePath, port] = emulator.host.split(":");
  const options = {
    servicePath,
    port: Number(port),
    sslCreds: credentials.createInsecure(),
    projectId: "walk",
  };
  c = {
    publisher: new v1.PublisherClient(options),
    subscriber: new v1.SubscriberClient(options),
    schemas: new v1.SchemaServiceClient(options),
    project,
    topic: `${project}/topics/walk`,
    subscription: `${project}/subscriptions/walk`,
    snapshot: `${project}/snapshots/walk`,
    schema: `${project}/schemas/walk`,
  };
  await c.publisher.createTopic({ name: c.topic });
  await c.subscriber.createSubscription({ name: c.subscription, topic: c.topic });
  await c.subscriber.createSnapshot({ name: c.snapshot, subscription: c.subscription });
});
afterAll(async () => {
  await c.publisher.close();
  await c.subscriber.close();
  await c.schemas.close();
  await emulator.stop();
});

/** A sample value for each refused field (by its last path segment), enough to make it present on the wire. */
const SAMPLES: Record<string, unknown> = {
  messageStoragePolicy: { allowedPersistenceRegions: ["us-east1"] },
  kmsKeyName: "projects/walk/locations/global/keyRings/r/cryptoKeys/k",
  firstRevisionId: "r1",
  lastRevisionId: "r2",
  ingestionDataSourceSettings: { awsKinesis: { streamArn: "arn:aws:kinesis:x" } },
  messageTransforms: [{ javascriptUdf: { functionName: "f", code: "function f(m) { return m; }" } }],
  tags: { "tagKeys/1": "tagValues/1" },
  oidcToken: { serviceAccountEmail: "push@walk.iam.gserviceaccount.com" },
  noWrapper: { writeMetadata: true },
  bigqueryConfig: { table: "walk.dataset.table" },
  cloudStorageConfig: { bucket: "walk-bucket" },
  bigtableConfig: { table: "projects/walk/instances/i/tables/t" },
  ttl: { seconds: 86_400 },
  filter: 'attributes.kind = "a"',
  detached: true,
  enableExactlyOnceDelivery: true,
};

/** A request of the method that would succeed, and the call that sends it. */
const BASES: Record<string, [() => Record<string, unknown>, (request: never) => Promise<unknown>]> = {
  CreateTopic: [() => ({ name: `${project}/topics/${unique("t")}` }), (r) => c.publisher.createTopic(r)],
  UpdateTopic: [
    () => ({ topic: { name: c.topic }, updateMask: { paths: ["labels"] } }),
    (r) => c.publisher.updateTopic(r),
  ],
  CreateSubscription: [
    () => ({ name: `${project}/subscriptions/${unique("s")}`, topic: c.topic }),
    (r) => c.subscriber.createSubscription(r),
  ],
  UpdateSubscription: [
    () => ({ subscription: { name: c.subscription }, updateMask: { paths: ["labels"] } }),
    (r) => c.subscriber.updateSubscription(r),
  ],
  ModifyPushConfig: [
    () => ({ subscription: c.subscription, pushConfig: { pushEndpoint: "http://127.0.0.1:9/push" } }),
    (r) => c.subscriber.modifyPushConfig(r),
  ],
  CreateSnapshot: [
    () => ({ name: `${project}/snapshots/${unique("n")}`, subscription: c.subscription }),
    (r) => c.subscriber.createSnapshot(r),
  ],
};

describe("refused fields and methods", () => {
  const cases = Object.entries(REFUSED_FIELDS).flatMap(([method, paths]) =>
    paths.map((fieldPath) => [method, fieldPath] as const),
  );
  test.each(cases)("%s with %s is refused UNIMPLEMENTED naming the field", async (method, fieldPath) => {
    const [base, send] = BASES[method] as NonNullable<(typeof BASES)[string]>;
    const last = fieldPath.split(".").pop() as string;
    const request = withField(base(), fieldPath, SAMPLES[last]);
    const snake = fieldPath.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
    await expect(send(request as never)).rejects.toMatchObject({
      code: status.UNIMPLEMENTED,
      details: expect.stringContaining(snake),
    });
  });

  test.each(Object.keys(UNSERVED))("%s answers UNIMPLEMENTED naming the method", async (method) => {
    await expect((UNSERVED[method] as (clients: Clients) => Promise<unknown>)(c)).rejects.toMatchObject({
      code: status.UNIMPLEMENTED,
      details: expect.stringContaining(method),
    });
  });

  test("a refused field reaches the high-level client at once, as an error, on the first attempt", async () => {
    const { PubSub } = await import("@google-cloud/pubsub");
    const pubsub = new PubSub({ projectId: "walk", apiEndpoint: emulator.host, emulatorMode: true });
    const began = Date.now();
    await expect(
      pubsub.topic("walk").createSubscription(unique("s"), { filter: 'attributes.kind = "a"' }),
    ).rejects.toMatchObject({ code: status.UNIMPLEMENTED, details: expect.stringContaining("filter") });
    expect(Date.now() - began).toBeLessThan(3000); // generous: a retried refusal would take a minute
    await pubsub.close();
  });
});

describe("raw behaviours", () => {
  test(OUTPUT_ONLY, async () => {
    const name = `${project}/topics/${unique("out")}`;
    const [topic] = await c.publisher.createTopic({
      name,
      state: "INGESTION_RESOURCE_ERROR",
      satisfiesPzs: true,
    });
    expect(topic).toMatchObject({ state: "ACTIVE", satisfiesPzs: false });
    const [subscription] = await c.subscriber.createSubscription({
      name: `${project}/subscriptions/${unique("out")}`,
      topic: name,
      state: "RESOURCE_ERROR",
      topicMessageRetentionDuration: { seconds: 3600 },
      analyticsHubSubscriptionInfo: { listing: "l", subscription: "s" },
    });
    expect(subscription).toMatchObject({
      state: "ACTIVE",
      topicMessageRetentionDuration: null,
      analyticsHubSubscriptionInfo: null,
    });
    const [updated] = await c.subscriber.updateSubscription({
      subscription: { name: subscription.name, state: "RESOURCE_ERROR", labels: { a: "b" } },
      updateMask: { paths: ["labels"] },
    });
    expect(updated.state).toBe("ACTIVE");
    const [{ messageIds }] = await c.publisher.publish({
      topic: name,
      messages: [{ data: Buffer.from("x"), messageId: "mine", publishTime: { seconds: 5 } }],
    });
    const [pulled] = await c.subscriber.pull({
      subscription: subscription.name,
      maxMessages: 1,
      returnImmediately: true,
    });
    const message = pulled.receivedMessages?.[0]?.message;
    expect(message?.messageId).toBe(messageIds?.[0]);
    expect(message?.messageId).not.toBe("mine");
    expect(Number(message?.publishTime?.seconds)).toBeGreaterThan(5);
  });

  test(LABELS, async () => {
    const retention = { seconds: 3600, nanos: 0 };
    const [topic] = await c.publisher.createTopic({
      name: `${project}/topics/${unique("lab")}`,
      labels: { team: "a" },
      messageRetentionDuration: retention,
    });
    const [subscription] = await c.subscriber.createSubscription({
      name: `${project}/subscriptions/${unique("lab")}`,
      topic: topic.name,
      labels: { team: "b" },
      messageRetentionDuration: retention,
    });
    const [snapshot] = await c.subscriber.createSnapshot({
      name: `${project}/snapshots/${unique("lab")}`,
      subscription: subscription.name,
      labels: { team: "c" },
    });
    const [gotTopic] = await c.publisher.getTopic({ topic: topic.name });
    const [gotSubscription] = await c.subscriber.getSubscription({ subscription: subscription.name });
    const [gotSnapshot] = await c.subscriber.getSnapshot({ snapshot: snapshot.name });
    expect(gotTopic).toMatchObject({ labels: { team: "a" }, messageRetentionDuration: { seconds: "3600" } });
    expect(gotSubscription).toMatchObject({
      labels: { team: "b" },
      messageRetentionDuration: { seconds: "3600" },
    });
    expect(gotSnapshot.labels).toEqual({ team: "c" });
  });

  test(PAGES, async () => {
    const paged = `projects/${unique("paged")}`;
    const topic = `${paged}/topics/paged`;
    await c.publisher.createTopic({ name: topic });
    for (const id of ["sub1", "sub2", "sub3"]) {
      await c.subscriber.createSubscription({ name: `${paged}/subscriptions/${id}`, topic });
      await c.subscriber.createSnapshot({
        name: `${paged}/snapshots/${id}`,
        subscription: `${paged}/subscriptions/${id}`,
      });
    }
    await c.publisher.createTopic({ name: `${paged}/topics/paged2` });
    const noPaging = { autoPaginate: false };
    const lists: [string, (request: { pageSize: number; pageToken?: string }) => Promise<unknown[]>][] = [
      ["topics", (r) => c.publisher.listTopics({ project: paged, ...r }, noPaging)],
      ["topic subscriptions", (r) => c.publisher.listTopicSubscriptions({ topic, ...r }, noPaging)],
      ["topic snapshots", (r) => c.publisher.listTopicSnapshots({ topic, ...r }, noPaging)],
      ["subscriptions", (r) => c.subscriber.listSubscriptions({ project: paged, ...r }, noPaging)],
      ["snapshots", (r) => c.subscriber.listSnapshots({ project: paged, ...r }, noPaging)],
    ];
    for (const [, list] of lists) {
      const [first, next] = (await list({ pageSize: 1 })) as [unknown[], { pageToken: string } | null];
      expect(first).toHaveLength(1);
      const [rest] = (await list({ pageSize: 5, pageToken: next?.pageToken ?? "" })) as [unknown[]];
      expect(rest.length).toBeGreaterThanOrEqual(1);
      expect(rest).not.toContainEqual(first[0]);
    }
    const [schemas] = await c.schemas.listSchemas({ parent: paged, pageSize: 1 }, noPaging);
    expect(schemas).toEqual([]);
    await expect(c.schemas.listSchemas({ parent: paged, pageToken: "nope" }, noPaging)).rejects.toMatchObject(
      { code: status.INVALID_ARGUMENT, details: expect.stringContaining("page_token") },
    );
  });

  test(UPDATE_TOPIC, async () => {
    const [topic] = await c.publisher.createTopic({
      name: `${project}/topics/${unique("upd")}`,
      labels: { keep: "me" },
    });
    const [updated] = await c.publisher.updateTopic({
      topic: { name: topic.name, labels: { ignored: "x" }, messageRetentionDuration: { seconds: 7200 } },
      updateMask: { paths: ["message_retention_duration"] },
    });
    expect(updated).toMatchObject({ labels: { keep: "me" }, messageRetentionDuration: { seconds: "7200" } });
  });

  test(UPDATE_SUBSCRIPTION, async () => {
    const [subscription] = await c.subscriber.createSubscription({
      name: `${project}/subscriptions/${unique("upd")}`,
      topic: c.topic,
      labels: { keep: "me" },
    });
    const [updated] = await c.subscriber.updateSubscription({
      subscription: {
        name: subscription.name,
        labels: { ignored: "x" },
        ackDeadlineSeconds: 30,
        retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 2 } },
        retainAckedMessages: true,
      },
      updateMask: { paths: ["ack_deadline_seconds", "retry_policy", "retain_acked_messages"] },
    });
    expect(updated).toMatchObject({
      labels: { keep: "me" },
      ackDeadlineSeconds: 30,
      retryPolicy: { minimumBackoff: { seconds: "1" }, maximumBackoff: { seconds: "2" } },
      retainAckedMessages: true,
    });
  });

  test(PULL, async () => {
    const [subscription] = await c.subscriber.createSubscription({
      name: `${project}/subscriptions/${unique("pull")}`,
      topic: c.topic,
    });
    const began = Date.now();
    const [empty] = await c.subscriber.pull({
      subscription: subscription.name,
      maxMessages: 5,
      returnImmediately: true,
    });
    expect(empty.receivedMessages ?? []).toEqual([]);
    expect(Date.now() - began).toBeLessThan(3000); // without return_immediately it would wait 10 s
    await c.publisher.publish({
      topic: c.topic,
      messages: ["a", "b", "c"].map((d) => ({ data: Buffer.from(d) })),
    });
    const [two] = await c.subscriber.pull({ subscription: subscription.name, maxMessages: 2 });
    expect(two.receivedMessages).toHaveLength(2);
  });

  test(STREAM, async () => {
    const [subscription] = await c.subscriber.createSubscription({
      name: `${project}/subscriptions/${unique("stream")}`,
      topic: c.topic,
    });
    const stream = c.subscriber.streamingPull();
    const batches: { receivedMessages: { ackId: string; message: { data: Buffer } }[] }[] = [];
    stream.on("data", (response: (typeof batches)[number]) => batches.push(response));
    const received = () => batches.flatMap((b) => b.receivedMessages ?? []);
    stream.write({
      subscription: subscription.name,
      streamAckDeadlineSeconds: 10,
      maxOutstandingMessages: 1,
      maxOutstandingBytes: 1_000_000,
      clientId: "walk-client",
      protocolVersion: 1,
    });
    await c.publisher.publish({
      topic: c.topic,
      messages: ["a", "b"].map((d) => ({ data: Buffer.from(d) })),
    });
    await expect.poll(() => received().length, { message: "the first delivery" }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received()).toHaveLength(1); // max_outstanding_messages holds back the second
    const first = received()[0]!;
    stream.write({ modifyDeadlineAckIds: [first.ackId], modifyDeadlineSeconds: [0] }); // a nack on the stream
    await expect.poll(() => received().length, { message: "the nacked message again" }).toBe(2);
    // Acks on the stream, with a new stream deadline, until nothing is outstanding: the nacked one came back.
    stream.write({ ackIds: [received()[1]!.ackId], streamAckDeadlineSeconds: 20 });
    await expect.poll(() => received().length, { message: "the second message" }).toBe(3);
    stream.write({ ackIds: [received()[2]!.ackId] });
    await expect
      .poll(() => emulator.counters.outstanding(subscription.name ?? ""), { message: "nothing outstanding" })
      .toBe(0);
    expect(new Set(received().map((r) => r.message.data.toString()))).toEqual(new Set(["a", "b"]));
    stream.end();
  });

  test(WRAPPER, async () => {
    const endpoint = await pushEndpoint(() => 204);
    const [subscription] = await c.subscriber.createSubscription({
      name: `${project}/subscriptions/${unique("wrap")}`,
      topic: c.topic,
      pushConfig: { pushEndpoint: endpoint.url, attributes: { "x-goog-version": "v1" }, pubsubWrapper: {} },
    });
    expect(subscription.pushConfig).toMatchObject({
      attributes: { "x-goog-version": "v1" },
      pubsubWrapper: {},
    });
    await c.publisher.publish({ topic: c.topic, messages: [{ data: Buffer.from("wrapped") }] });
    await endpoint.next(1);
    expect(Buffer.from(endpoint.received[0]?.body.message.data ?? "", "base64").toString()).toBe("wrapped");
    await c.subscriber.deleteSubscription({ subscription: subscription.name });
    await endpoint.close();
  });

  test(EXPIRATION, async () => {
    const [subscription] = await c.subscriber.createSubscription({
      name: `${project}/subscriptions/${unique("exp")}`,
      topic: c.topic,
      expirationPolicy: {},
    });
    expect(subscription.expirationPolicy).toEqual({ ttl: null });
  });
});

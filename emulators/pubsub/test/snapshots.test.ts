import type { Message } from "@google-cloud/pubsub";
import { status } from "@grpc/grpc-js";
import { describe, expect, test } from "vitest";
import { refusal, unique, useTarget } from "./harness.ts";

// Conformance: only @google-cloud/pubsub, so it also runs against Google's emulator (PUBSUB_EMULATOR_HOST).
const target = useTarget();

/** Pulls what is deliverable now and acknowledges it; returns the data of each message. */
async function drain(subscription: string): Promise<string[]> {
  const [response] = await target.subscriber.pull({
    subscription,
    maxMessages: 100,
    returnImmediately: true,
  });
  const received = response.receivedMessages ?? [];
  if (received.length > 0) {
    await target.subscriber.acknowledge({ subscription, ackIds: received.map((m) => m.ackId ?? "") });
  }
  return received.map((m) => m.message?.data?.toString() ?? "").sort();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.concurrent("snapshots, Seek and schemas", () => {
  test("lists no snapshots, topic snapshots or schemas where none exist", async () => {
    const project = `projects/${unique("empty")}`;
    const [snapshots] = await target.subscriber.listSnapshots({ project }, { autoPaginate: false });
    expect(snapshots).toEqual([]);
    const [schemas] = await target.schemas.listSchemas({ parent: project }, { autoPaginate: false });
    expect(schemas).toEqual([]);
    const [topic] = await target.pubsub.createTopic(unique("no-snapshots"));
    const [ofTopic] = await target.publisher.listTopicSnapshots(
      { topic: topic.name },
      { autoPaginate: false },
    );
    expect(ofTopic).toEqual([]);
  });

  test("creates, gets, lists and deletes a snapshot, answering ALREADY_EXISTS and NOT_FOUND", async () => {
    const [topic] = await target.pubsub.createTopic(unique("snap-life"));
    const [subscription] = await topic.createSubscription(unique("snap-life"));
    const name = `projects/${target.projectId}/snapshots/${unique("snap-life")}`;
    const [created] = await target.subscriber.createSnapshot({
      name,
      subscription: subscription.name,
      labels: { team: "scan" },
    });
    expect(created).toMatchObject({ name, topic: topic.name });
    expect(Number(created.expireTime?.seconds) * 1000).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(
      (await refusal(target.subscriber.createSnapshot({ name, subscription: subscription.name })))?.code,
    ).toBe(status.ALREADY_EXISTS);
    const [got] = await target.subscriber.getSnapshot({ snapshot: name });
    expect(got.name).toBe(name);
    const [listed] = await target.subscriber.listSnapshots(
      { project: `projects/${target.projectId}` },
      { autoPaginate: false },
    );
    expect(listed.map((snapshot) => snapshot.name)).toContain(name);
    const [ofTopic] = await target.publisher.listTopicSnapshots(
      { topic: topic.name },
      { autoPaginate: false },
    );
    expect(ofTopic).toEqual([name]);
    await target.subscriber.deleteSnapshot({ snapshot: name });
    expect((await refusal(target.subscriber.getSnapshot({ snapshot: name })))?.code).toBe(status.NOT_FOUND);
    const missing = `projects/${target.projectId}/subscriptions/${unique("missing")}`;
    expect((await refusal(target.subscriber.createSnapshot({ name, subscription: missing })))?.code).toBe(
      status.NOT_FOUND,
    );
  });

  test("seeking to a snapshot makes unacked exactly its backlog and what was published after it", async () => {
    const [topic] = await target.pubsub.createTopic(unique("seek-snap"));
    const [subscription] = await topic.createSubscription(unique("seek-snap"));
    await topic.publishMessage({ data: Buffer.from("acked before") });
    expect(await drain(subscription.name)).toEqual(["acked before"]);
    await topic.publishMessage({ data: Buffer.from("backlog") });
    const [snapshot] = await subscription.createSnapshot(unique("seek-snap"));
    await topic.publishMessage({ data: Buffer.from("after") });
    expect(await drain(subscription.name)).toEqual(["after", "backlog"]);
    await subscription.seek(snapshot.name);
    expect(await drain(subscription.name)).toEqual(["after", "backlog"]);
  });

  test("seeking to a time with retain_acked_messages replays the messages published from then on", async () => {
    const [topic] = await target.pubsub.createTopic(unique("seek-time"));
    const [subscription] = await topic.createSubscription(unique("seek-time"), {
      retainAckedMessages: true,
      messageRetentionDuration: { seconds: 600 },
    });
    const [metadata] = await subscription.getMetadata();
    expect(metadata.retainAckedMessages).toBe(true);
    await topic.publishMessage({ data: Buffer.from("old") });
    // Over a second either side: Google's emulator seeks to whole seconds.
    await sleep(1100);
    const between = new Date();
    await sleep(1100);
    await topic.publishMessage({ data: Buffer.from("new") });
    expect(await drain(subscription.name)).toEqual(["new", "old"]);
    await subscription.seek(between);
    expect(await drain(subscription.name)).toEqual(["new"]);
    await subscription.seek(new Date(Date.now() + 3_600_000));
    expect(await drain(subscription.name)).toEqual([]);
  });

  test("seeking to a time without retain_acked_messages brings back no acknowledged message", async () => {
    const [topic] = await target.pubsub.createTopic(unique("seek-plain"));
    const [subscription] = await topic.createSubscription(unique("seek-plain"));
    const before = new Date(Date.now() - 1000);
    await topic.publishMessage({ data: Buffer.from("acked") });
    expect(await drain(subscription.name)).toEqual(["acked"]);
    await topic.publishMessage({ data: Buffer.from("unacked") });
    await subscription.seek(before);
    expect(await drain(subscription.name)).toEqual(["unacked"]);
  });

  test.each(["snapshot", "time"] as const)(
    "seeking to a %s redelivers to a subscriber that is already streaming",
    async (form) => {
      const [topic] = await target.pubsub.createTopic(unique(`seek-open-${form}`));
      const [subscription] = await topic.createSubscription(unique(`seek-open-${form}`));
      const [snapshot] = await subscription.createSnapshot(unique(`seek-open-${form}`));
      const deliveries: string[] = [];
      const redelivered = new Promise<void>((resolve, reject) => {
        subscription.on("error", reject);
        subscription.on("message", (message: Message) => {
          deliveries.push(message.id);
          if (deliveries.length > 1) {
            message.ack();
            resolve();
            return;
          }
          // The client keeps its stream open across the seek and waits for the redelivery on it. The snapshot
          // kept the message, so it comes back acknowledged; a time brings back only what is unacknowledged.
          const seek =
            form === "snapshot"
              ? target.subscriber
                  .acknowledge({ subscription: subscription.name, ackIds: [message.ackId] })
                  .then(() => snapshot.seek())
              : subscription.seek(message.publishTime);
          seek.catch(reject);
        });
      });
      const messageId = await topic.publishMessage({ data: Buffer.from("again") });
      await redelivered;
      await subscription.close();
      expect(deliveries).toEqual([messageId, messageId]);
    },
  );

  test("Seek refuses another topic's snapshot, a missing snapshot and a request with neither target", async () => {
    const [topic] = await target.pubsub.createTopic(unique("seek-bad"));
    const [other] = await target.pubsub.createTopic(unique("seek-bad-other"));
    const [subscription] = await topic.createSubscription(unique("seek-bad"));
    const [elsewhere] = await other.createSubscription(unique("seek-bad-other"));
    const [snapshot] = await elsewhere.createSnapshot(unique("seek-bad"));
    const seek = (request: object) =>
      refusal(target.subscriber.seek({ subscription: subscription.name, ...request }));
    expect((await seek({ snapshot: snapshot.name }))?.code).toBe(status.FAILED_PRECONDITION);
    const missing = `projects/${target.projectId}/snapshots/${unique("missing")}`;
    expect((await seek({ snapshot: missing }))?.code).toBe(status.NOT_FOUND);
    expect((await seek({}))?.code).toBe(status.INVALID_ARGUMENT);
  });

  test("UpdateSnapshot and DetachSubscription answer UNIMPLEMENTED naming the method", async () => {
    const [topic] = await target.pubsub.createTopic(unique("unimplemented"));
    const [subscription] = await topic.createSubscription(unique("unimplemented"));
    const [snapshot] = await subscription.createSnapshot(unique("unimplemented"));
    const update = await refusal(
      target.subscriber.updateSnapshot({
        snapshot: { name: snapshot.name, labels: { a: "b" } },
        updateMask: { paths: ["labels"] },
      }),
    );
    expect(update).toMatchObject({
      code: status.UNIMPLEMENTED,
      details: expect.stringContaining("UpdateSnapshot"),
    });
    const detach = await refusal(target.publisher.detachSubscription({ subscription: subscription.name }));
    expect(detach).toMatchObject({
      code: status.UNIMPLEMENTED,
      details: expect.stringContaining("DetachSubscription"),
    });
  });
});

import { PubSub } from "@google-cloud/pubsub";
import type { GeneratedScan } from "./generate.ts";

/** The scanner's only view of Pub/Sub. */
export type Publisher = {
  /** Creates the topic when missing; fails within `timeoutMs` when Pub/Sub cannot be reached. */
  ensureTopic(timeoutMs: number): Promise<void>;
  /** Queues one scan into the client's current batch; resolves with its message id once Pub/Sub has it. */
  publish(scan: GeneratedScan): Promise<string>;
  /** Sends what is still batched. */
  flush(): Promise<void>;
  /** Sends what is still batched, then closes the connection. */
  close(): Promise<void>;
};

export type PublisherSettings = { project: string; topic: string; emulatorHost?: string };

// Large, short-lived batches: one message a second still leaves within 10 ms, 20 000 a second go 1 000 per call.
const BATCHING = { maxMessages: 1000, maxMilliseconds: 10 };
// A publish call that cannot get through is given up after this long (retries included) and counted as an error.
const PUBLISH_TIMEOUT_MS = 30_000;

/** A Pub/Sub client for one topic, using the library's batching. */
export function createPublisher(settings: PublisherSettings): Publisher {
  const pubsub = new PubSub({
    projectId: settings.project,
    ...(settings.emulatorHost === undefined ? {} : emulatorSettings(settings.emulatorHost)),
  });
  const topic = pubsub.topic(settings.topic, {
    batching: BATCHING,
    gaxOpts: { timeout: PUBLISH_TIMEOUT_MS },
  });
  return {
    async ensureTopic(timeoutMs) {
      await topic.get({ autoCreate: true, timeout: timeoutMs });
    },
    publish(scan) {
      return topic.publishMessage({ data: Buffer.from(JSON.stringify(scan), "utf8") });
    },
    flush() {
      return topic.flush();
    },
    async close() {
      try {
        await topic.flush();
      } finally {
        await pubsub.close();
      }
    },
  };
}

/** Plain-text gRPC to the emulator; naming the universe spares the auth library its probe for a GCE metadata server. */
function emulatorSettings(host: string) {
  return { apiEndpoint: host, emulatorMode: true, universeDomain: "googleapis.com" };
}

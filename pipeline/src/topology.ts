// The Pub/Sub side of the pipeline: topic, push subscription to the function, dead-letter topic.
import type { PubSub } from "@google-cloud/pubsub";
import { DEFAULT_NAMES, MAX_DELIVERY_ATTEMPTS } from "./defaults.ts";

export type PushTopology = {
  topic: string;
  subscription: string;
  /** Where the push subscription delivers, e.g. the functions-framework server. */
  endpoint: string;
  deadLetterTopic: string;
  /** Keeps what is dead-lettered, since a topic without subscriptions drops it. */
  deadLetterSubscription: string;
  maxDeliveryAttempts: number;
  /** Redelivery backoff after a failure; default 1 s growing to 10 s. */
  retryBackoffSeconds?: { minimum: number; maximum: number };
};

/** The topology of docs/contract.md §5 with the default names. */
export function defaultTopology(endpoint: string): PushTopology {
  return { ...DEFAULT_NAMES, endpoint, maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS };
}

/** The Pub/Sub names for a topic: the default names for scan-topic, derived ones for any other. */
export function pipelineNames(topic: string = DEFAULT_NAMES.topic): Omit<PushTopology, "endpoint"> {
  const { endpoint: _endpoint, ...names } = defaultTopology("");
  if (topic === names.topic) return names;
  return {
    ...names,
    topic,
    subscription: `${topic}-sub`,
    deadLetterTopic: `${topic}-dead-letter`,
    deadLetterSubscription: `${topic}-dead-letter-sub`,
  };
}

const ALREADY_EXISTS = 6;

/**
 * Creates what is missing and points an existing push subscription at `endpoint`; safe to run again.
 * Returns warnings, e.g. when the emulator refuses a dead-letter policy and the subscription goes without.
 */
export async function ensurePushTopology(pubsub: PubSub, topology: PushTopology): Promise<string[]> {
  const warnings: string[] = [];
  await createIfMissing(() => pubsub.createTopic(topology.topic));
  await createIfMissing(() => pubsub.createTopic(topology.deadLetterTopic));
  await createIfMissing(() =>
    pubsub.topic(topology.deadLetterTopic).createSubscription(topology.deadLetterSubscription),
  );
  const push = {
    pushConfig: { pushEndpoint: topology.endpoint },
    ackDeadlineSeconds: 60,
    // Quick local retries: a transient failure is redelivered after 1 s, then up to 10 s.
    retryPolicy: {
      minimumBackoff: duration(topology.retryBackoffSeconds?.minimum ?? 1),
      maximumBackoff: duration(topology.retryBackoffSeconds?.maximum ?? 10),
    },
  };
  const deadLetterPolicy = {
    deadLetterTopic: pubsub.topic(topology.deadLetterTopic).name,
    maxDeliveryAttempts: topology.maxDeliveryAttempts,
  };
  const subscription = pubsub.subscription(topology.subscription);
  const [exists] = await subscription.exists();
  if (exists) {
    await subscription.modifyPushConfig({ pushEndpoint: topology.endpoint });
    return warnings;
  }
  try {
    await pubsub
      .topic(topology.topic)
      .createSubscription(topology.subscription, { ...push, deadLetterPolicy });
  } catch (error) {
    if ((error as { code?: number }).code === ALREADY_EXISTS) return warnings;
    warnings.push(
      `dead-letter policy refused (${(error as Error).message}); ${topology.subscription} has none`,
    );
    await pubsub.topic(topology.topic).createSubscription(topology.subscription, push);
  }
  return warnings;
}

/** A protobuf Duration. */
function duration(seconds: number): { seconds: number; nanos: number } {
  const whole = Math.floor(seconds);
  return { seconds: whole, nanos: Math.round((seconds - whole) * 1e9) };
}

async function createIfMissing(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if ((error as { code?: number }).code !== ALREADY_EXISTS) throw error;
  }
}

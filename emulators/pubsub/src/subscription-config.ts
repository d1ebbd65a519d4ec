import { invalidArgument, outOfRange, unimplemented } from "@scan-ingest/emulator-shared/status";
import type { RetryPolicy } from "./backoff.ts";
import { parseName } from "./names.ts";
import { duration, durationMs, type Subscription } from "./wire.ts";

/** The delivery settings of a subscription, validated and with Google's defaults filled in. */
export interface DeliveryConfig {
  ackDeadlineSeconds: number;
  pushEndpoint: string | undefined;
  retryPolicy: RetryPolicy | undefined;
  deadLetter: { topic: string; maxDeliveryAttempts: number } | undefined;
  retentionMs: number;
  /** enable_message_ordering: each ordering key is delivered in publish order. */
  ordered: boolean;
  /** retain_acked_messages: acknowledged messages are kept for Seek within the retention duration. */
  retainAcked: boolean;
}

const SECOND = 1000;
const DAY = 86_400 * SECOND;
const DEFAULT_RETENTION_MS = 7 * DAY;
// Push wrappers Google documents; this emulator sends only the default JSON envelope.
const PUSH_ATTRIBUTES = new Set(["x-goog-version"]);

/** Validates a subscription resource the way Google does; returns it normalised and its delivery config. */
export function validateSubscription(input: Subscription): {
  resource: Subscription;
  config: DeliveryConfig;
} {
  const ackDeadlineSeconds = input.ackDeadlineSeconds || 10;
  if (ackDeadlineSeconds < 10 || ackDeadlineSeconds > 600) {
    throw invalidArgument(
      `Invalid ack_deadline_seconds ${ackDeadlineSeconds}: it must be between 10 and 600.`,
    );
  }
  const retentionMs = durationMs(input.messageRetentionDuration) ?? DEFAULT_RETENTION_MS;
  if (retentionMs < 600 * SECOND || retentionMs > 7 * DAY) {
    throw invalidArgument("Invalid message_retention_duration: it must be between 10 minutes and 7 days.");
  }
  const pushEndpoint = validatePush(input);
  const retryPolicy = validateRetryPolicy(input);
  const deadLetter = validateDeadLetter(input);
  const resource: Subscription = {
    name: input.name,
    topic: input.topic,
    // pubsub_wrapper asks for the JSON envelope, which is what this emulator pushes anyway.
    pushConfig: pushEndpoint
      ? {
          pushEndpoint,
          attributes: input.pushConfig?.attributes ?? {},
          ...(input.pushConfig?.pubsubWrapper ? { pubsubWrapper: {} } : {}),
        }
      : { pushEndpoint: "", attributes: {} },
    ackDeadlineSeconds,
    messageRetentionDuration: duration(retentionMs),
    labels: input.labels ?? {},
    retryPolicy: retryPolicy
      ? {
          minimumBackoff: duration(retryPolicy.minimumBackoffMs),
          maximumBackoff: duration(retryPolicy.maximumBackoffMs),
        }
      : null,
    deadLetterPolicy: deadLetter
      ? { deadLetterTopic: deadLetter.topic, maxDeliveryAttempts: deadLetter.maxDeliveryAttempts }
      : null,
    enableMessageOrdering: Boolean(input.enableMessageOrdering),
    retainAckedMessages: Boolean(input.retainAckedMessages),
    // A policy without a ttl means "never expires", as every subscription here does (a ttl is refused).
    expirationPolicy: input.expirationPolicy ? {} : null,
    // Output-only fields a request sets (state, topic_message_retention_duration, analytics_hub_subscription_info)
    // are ignored, as production documents: the resource is built from the honoured fields alone.
    state: "ACTIVE",
  };
  const ordered = Boolean(input.enableMessageOrdering);
  const retainAcked = Boolean(input.retainAckedMessages);
  return {
    resource,
    config: { ackDeadlineSeconds, pushEndpoint, retryPolicy, deadLetter, retentionMs, ordered, retainAcked },
  };
}

function validatePush(input: Subscription): string | undefined {
  const endpoint = input.pushConfig?.pushEndpoint;
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalidArgument(`Invalid push_config.push_endpoint "${endpoint}".`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidArgument(`Invalid push_config.push_endpoint "${endpoint}": it must be an http(s) URL.`);
  }
  for (const [key, value] of Object.entries(input.pushConfig?.attributes ?? {})) {
    if (!PUSH_ATTRIBUTES.has(key) || (value !== "v1" && value !== "v1beta1")) {
      throw invalidArgument(`Unsupported push_config.attributes entry ${key}=${value}.`);
    }
    if (value !== "v1") throw unimplemented("The embedded Pub/Sub emulator pushes only x-goog-version v1.");
  }
  return endpoint;
}

function validateRetryPolicy(input: Subscription): RetryPolicy | undefined {
  if (!input.retryPolicy) return undefined;
  const minimumBackoffMs = durationMs(input.retryPolicy.minimumBackoff) ?? 10 * SECOND;
  const maximumBackoffMs = durationMs(input.retryPolicy.maximumBackoff) ?? 600 * SECOND;
  for (const [field, value] of [
    ["minimum_backoff", minimumBackoffMs],
    ["maximum_backoff", maximumBackoffMs],
  ] as const) {
    if (value < 0 || value > 600 * SECOND) {
      throw invalidArgument(`Invalid retry_policy.${field}: it must be between 0 and 600 seconds.`);
    }
  }
  if (minimumBackoffMs > maximumBackoffMs) {
    throw invalidArgument("Invalid retry_policy: minimum_backoff is greater than maximum_backoff.");
  }
  return { minimumBackoffMs, maximumBackoffMs };
}

function validateDeadLetter(input: Subscription): DeliveryConfig["deadLetter"] {
  const topic = input.deadLetterPolicy?.deadLetterTopic;
  if (!topic) return undefined; // a policy without a topic means no dead lettering
  parseName("topics", topic, "dead_letter_policy.dead_letter_topic");
  const maxDeliveryAttempts = input.deadLetterPolicy?.maxDeliveryAttempts || 5;
  // Production documents only the range; its code and wording here are those of Google's own emulator.
  if (maxDeliveryAttempts < 5) {
    throw outOfRange(
      `The value for max_delivery_attempts is too small. You passed ${maxDeliveryAttempts} in the request, but the minimum value is 5.`,
    );
  }
  if (maxDeliveryAttempts > 100) {
    throw outOfRange(
      `The value for max_delivery_attempts is too large. You passed ${maxDeliveryAttempts} in the request, but the maximum value is 100.`,
    );
  }
  return { topic, maxDeliveryAttempts };
}

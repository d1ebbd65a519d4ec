import { status } from "@grpc/grpc-js";
import { describe, expect, test } from "vitest";
import { ApiError } from "@scan-ingest/emulator-shared/status";
import { validateSubscription } from "../src/subscription-config.ts";
import type { Subscription } from "../src/wire.ts";

const base: Subscription = { name: "projects/p/subscriptions/s", topic: "projects/p/topics/t" };

function codeOf(input: Subscription): number | undefined {
  try {
    validateSubscription(input);
    return undefined;
  } catch (error) {
    return error instanceof ApiError ? error.code : -1;
  }
}

describe("validateSubscription", () => {
  test("fills in Google's defaults: 10 s ack deadline, 7 days retention, no retry or dead-letter policy", () => {
    const { config } = validateSubscription(base);
    expect(config).toEqual({
      ackDeadlineSeconds: 10,
      pushEndpoint: undefined,
      retryPolicy: undefined,
      deadLetter: undefined,
      retentionMs: 7 * 86_400_000,
      ordered: false,
      retainAcked: false,
    });
  });

  test("defaults a retry policy's missing bounds to 10 s and 600 s, and dead-letter attempts to 5", () => {
    const { config } = validateSubscription({
      ...base,
      retryPolicy: {},
      deadLetterPolicy: { deadLetterTopic: "projects/p/topics/dead" },
    });
    expect(config.retryPolicy).toEqual({ minimumBackoffMs: 10_000, maximumBackoffMs: 600_000 });
    expect(config.deadLetter).toEqual({ topic: "projects/p/topics/dead", maxDeliveryAttempts: 5 });
  });

  test.each<[string, Subscription, number]>([
    ["an ack deadline of 9 s", { ...base, ackDeadlineSeconds: 9 }, status.INVALID_ARGUMENT],
    ["an ack deadline of 601 s", { ...base, ackDeadlineSeconds: 601 }, status.INVALID_ARGUMENT],
    [
      "a minimum backoff above the maximum",
      { ...base, retryPolicy: { minimumBackoff: { seconds: 20 }, maximumBackoff: { seconds: 10 } } },
      status.INVALID_ARGUMENT,
    ],
    [
      "a negative minimum backoff",
      { ...base, retryPolicy: { minimumBackoff: { seconds: -1 } } },
      status.INVALID_ARGUMENT,
    ],
    [
      "4 delivery attempts",
      { ...base, deadLetterPolicy: { deadLetterTopic: "projects/p/topics/dead", maxDeliveryAttempts: 4 } },
      status.OUT_OF_RANGE,
    ],
    [
      "101 delivery attempts",
      { ...base, deadLetterPolicy: { deadLetterTopic: "projects/p/topics/dead", maxDeliveryAttempts: 101 } },
      status.OUT_OF_RANGE,
    ],
    [
      "a malformed dead-letter topic",
      { ...base, deadLetterPolicy: { deadLetterTopic: "dl" } },
      status.INVALID_ARGUMENT,
    ],
    [
      "a push endpoint that is not a URL",
      { ...base, pushConfig: { pushEndpoint: "nope" } },
      status.INVALID_ARGUMENT,
    ],
  ])("rejects %s", (_name, input, code) => {
    expect(codeOf(input)).toBe(code);
  });
});

import { describe, expect, test } from "vitest";
import { backoffMs, PUSH_BACKOFF } from "../src/backoff.ts";

const policy = { minimumBackoffMs: 1000, maximumBackoffMs: 5000 };

describe("backoffMs", () => {
  test.each([
    ["redelivers a pull subscription without a retry policy at once", undefined, 3, 0],
    ["waits the minimum after the first failure", policy, 1, 1000],
    ["doubles after each further failure", policy, 2, 2000],
    ["doubles again", policy, 3, 4000],
    ["never waits longer than the maximum", policy, 4, 5000],
    ["stays at the maximum however many failures", policy, 1000, 5000],
    ["uses push backoff's 100 ms start", PUSH_BACKOFF, 1, 100],
    ["caps push backoff at 60 s", PUSH_BACKOFF, 50, 60_000],
    ["never waits when the minimum and maximum are zero", { minimumBackoffMs: 0, maximumBackoffMs: 0 }, 7, 0],
  ])("%s", (_name, retryPolicy, failures, expected) => {
    expect(backoffMs(retryPolicy, failures)).toBe(expected);
  });
});

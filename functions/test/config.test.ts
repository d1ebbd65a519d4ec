import { describe, expect, test } from "vitest";
import { parseConfig } from "../src/config.ts";

describe("parseConfig", () => {
  test("uses the contract's defaults", () => {
    expect(parseConfig({})).toEqual({
      projectId: undefined,
      firestoreEmulatorHost: undefined,
      pubsubEmulatorHost: undefined,
      servicesCollection: "services",
      rejectsCollection: "rejects",
      maxResponseBytes: 262144,
      maxRejectBytes: 524288,
      maxClockSkewSeconds: 3600,
      storeDeadlineMs: 50000,
      historyMaxEntries: 50,
    });
  });

  test.each([
    ["reads GOOGLE_CLOUD_PROJECT", { GOOGLE_CLOUD_PROJECT: "p1", GCLOUD_PROJECT: "p2" }, { projectId: "p1" }],
    ["falls back to GCLOUD_PROJECT", { GCLOUD_PROJECT: "p2" }, { projectId: "p2" }],
    [
      "reads a domain-scoped project",
      { GOOGLE_CLOUD_PROJECT: "example.com:scan-1" },
      { projectId: "example.com:scan-1" },
    ],
    [
      "defaults the project to demo-scan with an emulator",
      { FIRESTORE_EMULATOR_HOST: "127.0.0.1:8080" },
      { projectId: "demo-scan" },
    ],
    [
      "reads the collections",
      { SERVICES_COLLECTION: "s1", REJECTS_COLLECTION: "r1" },
      { servicesCollection: "s1", rejectsCollection: "r1" },
    ],
    [
      "reads the limits",
      { MAX_RESPONSE_BYTES: "10", MAX_REJECT_BYTES: "20", MAX_CLOCK_SKEW_SECONDS: "0" },
      { maxResponseBytes: 10, maxRejectBytes: 20, maxClockSkewSeconds: 0 },
    ],
    ["reads the store deadline", { STORE_DEADLINE_MS: "2500" }, { storeDeadlineMs: 2500 }],
    ["reads the history's cap up to its limit", { HISTORY_MAX_ENTRIES: "400" }, { historyMaxEntries: 400 }],
    ["treats an empty value as unset", { MAX_RESPONSE_BYTES: "" }, { maxResponseBytes: 262144 }],
    [
      "accepts the largest limits that still fit a document",
      { MAX_RESPONSE_BYTES: "491520", MAX_REJECT_BYTES: "901120" },
      { maxResponseBytes: 491520, maxRejectBytes: 901120 },
    ],
  ])("%s", (_name, env, expected) => {
    expect(parseConfig(env)).toMatchObject(expected);
  });

  test.each([
    [
      { STORE_DEADLINE_MS: "0" },
      'STORE_DEADLINE_MS must be a whole number of milliseconds from 1 to 3600000, got "0"',
    ],
    [
      { MAX_RESPONSE_BYTES: "abc" },
      'MAX_RESPONSE_BYTES must be a positive integer of at most 491520 (two copies must fit Firestore\'s 1 MiB document), got "abc"',
    ],
    [
      { MAX_RESPONSE_BYTES: "0" },
      'MAX_RESPONSE_BYTES must be a positive integer of at most 491520 (two copies must fit Firestore\'s 1 MiB document), got "0"',
    ],
    [
      { MAX_REJECT_BYTES: "1.5" },
      'MAX_REJECT_BYTES must be a positive integer of at most 901120 (with 100 attributes it must fit Firestore\'s 1 MiB document), got "1.5"',
    ],
    [
      { MAX_RESPONSE_BYTES: "491521" },
      'MAX_RESPONSE_BYTES must be a positive integer of at most 491520 (two copies must fit Firestore\'s 1 MiB document), got "491521"',
    ],
    [
      { MAX_REJECT_BYTES: "901121" },
      'MAX_REJECT_BYTES must be a positive integer of at most 901120 (with 100 attributes it must fit Firestore\'s 1 MiB document), got "901121"',
    ],
    [{ MAX_CLOCK_SKEW_SECONDS: "-1" }, 'MAX_CLOCK_SKEW_SECONDS must be a non-negative integer, got "-1"'],
    [
      { HISTORY_MAX_ENTRIES: "401" },
      'HISTORY_MAX_ENTRIES must be a positive integer of at most 400 (the map must fit beside the response in 1 MiB), got "401"',
    ],
    [{ SERVICES_COLLECTION: "a/b" }, 'SERVICES_COLLECTION must be a Firestore collection id, got "a/b"'],
    [{ REJECTS_COLLECTION: "__x__" }, 'REJECTS_COLLECTION must be a Firestore collection id, got "__x__"'],
    [{ FIRESTORE_EMULATOR_HOST: "http://localhost:8080" }, "FIRESTORE_EMULATOR_HOST must be host:port"],
    [{ PUBSUB_EMULATOR_HOST: "localhost" }, "PUBSUB_EMULATOR_HOST must be host:port"],
    [{ GOOGLE_CLOUD_PROJECT: "my project" }, "GOOGLE_CLOUD_PROJECT must be a project id"],
    [{ GCLOUD_PROJECT: "demo/scan" }, "GCLOUD_PROJECT must be a project id"],
    [{ GOOGLE_CLOUD_PROJECT: "p1", GCLOUD_PROJECT: "P 2" }, "GCLOUD_PROJECT must be a project id"],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => parseConfig(env)).toThrow(message);
  });
});

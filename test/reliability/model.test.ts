// The workload really has what the model check is meant to survive, and the model itself obeys the contract.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { expectedState, keyOf, type PublishedMessage } from "./model.ts";
import { scale } from "./scale.ts";
import { createWorkload, FIRST_TIMESTAMP } from "./workload.ts";

const settings = { seed: "model-test", messages: scale.messages, ips: scale.ips, ports: scale.ports };
const workload = createWorkload(settings);
const published: PublishedMessage[] = workload.map((message) => ({
  messageId: `m${message.index}`,
  ...(message.scan && { scan: message.scan }),
  ...(message.reason && { reason: message.reason }),
}));

describe("the workload", () => {
  test("is the same, byte for byte, for the same seed", () => {
    const again = createWorkload(settings);
    expect(again.map((message) => message.data.toString("hex"))).toEqual(
      workload.map((message) => message.data.toString("hex")),
    );
  });

  test("collides on keys, ties on timestamps, spells one service two ways and republishes observations", () => {
    const valid = workload.filter((message) => message.scan);
    const keys = new Set(valid.map((message) => keyOf(message.scan!)));
    expect(valid.length / keys.size).toBeGreaterThan(5);
    const times = new Set(valid.map((message) => message.scan!.timestamp));
    expect([...times].sort()).toEqual([0, 1, 2, 3].map((offset) => FIRST_TIMESTAMP + offset));
    expect(valid.some((message) => message.scan!.service === "http")).toBe(true);
    expect(valid.some((message) => message.scan!.service === "HTTP")).toBe(true);
    const kinds = new Set(workload.map((message) => message.kind));
    expect([...kinds].sort()).toEqual(["broken", "fresh", "other-version", "republished"]);
  });

  test("leaves some keys with several messages carrying the winning (timestamp, sha)", () => {
    const { services } = expectedState(published);
    expect([...services.values()].some((service) => service.winners.size > 1)).toBe(true);
  });
});

describe("the model", () => {
  test("ends in the same state for any order of the messages", () => {
    const summary = (messages: PublishedMessage[]) => {
      const { services, rejects, maxServiceWrites } = expectedState(messages);
      return {
        services: [...services.values()]
          .map(({ winners, ...fields }) => ({ ...fields, winners: [...winners.entries()].sort() }))
          .sort((a, b) => (a.key < b.key ? -1 : 1)),
        rejects: [...rejects.entries()].sort(),
        maxServiceWrites,
      };
    };
    const inOrder = summary(published);
    fc.assert(
      fc.property(fc.shuffledSubarray(published, { minLength: published.length }), (shuffled) => {
        expect(summary(shuffled)).toEqual(inOrder);
      }),
      { numRuns: 20 },
    );
  });

  test("keeps the greater (timestamp, sha) and counts equal pairs as one observation", () => {
    const scan = (timestamp: number, response: string, data_version: 1 | 2 = 2) =>
      data_version === 2
        ? {
            ip: "1.1.1.1",
            port: 1,
            service: "http",
            timestamp,
            data_version,
            data: { response_str: response },
          }
        : {
            ip: "1.1.1.1",
            port: 1,
            service: "HTTP",
            timestamp,
            data_version,
            data: { response_bytes_utf8: Buffer.from(response).toString("base64") },
          };
    const state = expectedState([
      { messageId: "old", scan: scan(10, "z") },
      { messageId: "new", scan: scan(11, "a") },
      { messageId: "same", scan: scan(11, "a", 1) },
      { messageId: "bad", reason: "invalid_port" },
    ]);
    const service = state.services.get("1.1.1.1:1:HTTP")!;
    expect(service).toMatchObject({ response: "a", scannedAt: 11, versions: 2 });
    expect([...service.winners.entries()]).toEqual([
      ["new", 2],
      ["same", 1],
    ]);
    expect([...state.rejects.entries()]).toEqual([["bad", "invalid_port"]]);
  });
});

import { describe, expect, test } from "vitest";
import { parseInstant, readEnvelope, type DeliveredEvent } from "../src/envelope.ts";

const data = Buffer.from('{"ip":"1.1.1.7"}').toString("base64");
const eventarcMessage = {
  data,
  attributes: { origin: "scanner" },
  messageId: "111",
  publishTime: "2024-11-22T08:00:00.123456789Z",
};

describe("readEnvelope finds the message", () => {
  test.each<[string, DeliveredEvent]>([
    [
      "in an Eventarc messagePublished event",
      { id: "111", data: { message: eventarcMessage, subscription: "s" } },
    ],
    [
      "in a push body converted by functions-framework",
      {
        id: "111",
        data: {
          message: { "@type": "type.googleapis.com/google.pubsub.v1.PubsubMessage", ...eventarcMessage },
        },
      },
    ],
    [
      "in snake_case push fields",
      {
        data: {
          message: {
            data,
            attributes: { origin: "scanner" },
            message_id: "111",
            publish_time: eventarcMessage.publishTime,
          },
        },
      },
    ],
    [
      "in a binary-mode event whose body arrived as text",
      { id: "111", data: JSON.stringify({ message: eventarcMessage }) },
    ],
    [
      "in a binary-mode event whose body arrived as bytes",
      { id: "111", data: Buffer.from(JSON.stringify({ message: eventarcMessage })) },
    ],
  ])("%s", (_name, event) => {
    expect(readEnvelope(event)).toEqual({
      ok: true,
      message: {
        messageId: "111",
        publishTime: { seconds: 1_732_262_400, nanoseconds: 123_456_789 },
        data: Buffer.from('{"ip":"1.1.1.7"}'),
        attributes: { origin: "scanner" },
      },
    });
  });

  test("reads a push body left unconverted because its message has no data as empty data", () => {
    const event = { message: { messageId: "5", publishTime: "2024-11-22T08:00:00Z" }, subscription: "s" };
    expect(readEnvelope(event)).toMatchObject({
      ok: true,
      message: { messageId: "5", data: Buffer.alloc(0), attributes: {} },
    });
  });

  test("falls back to the CloudEvent id and time", () => {
    const event = { id: "ce-1", time: "2024-11-22T08:00:01Z", data: { message: { data } } };
    expect(readEnvelope(event)).toMatchObject({
      ok: true,
      message: { messageId: "ce-1", publishTime: { seconds: 1_732_262_401, nanoseconds: 0 } },
    });
  });
});

describe("readEnvelope refuses a delivery without a usable message", () => {
  test.each<[string, DeliveredEvent, string]>([
    ["with no data", { id: "ce-2" }, "ce-2"],
    ["with data but no message", { id: "ce-3", data: { subscription: "s" } }, "ce-3"],
    ["whose message is not an object", { id: "ce-4", data: { message: "hi" } }, "ce-4"],
    [
      "whose message data is not base64",
      { id: "ce-5", data: { message: { data: "a b", messageId: "9" } } },
      "9",
    ],
    ["whose body text is not JSON", { id: "ce-6", data: "not json" }, "ce-6"],
  ])("%s", (_name, event, messageId) => {
    const envelope = readEnvelope(event);
    expect(envelope).toMatchObject({ ok: false, broken: { messageId } });
  });

  test("keys a delivery with no id at all by a digest of its body", () => {
    const first = readEnvelope({ data: { nothing: 1 } });
    const again = readEnvelope({ data: { nothing: 1 } });
    expect(first).toMatchObject({
      ok: false,
      broken: { messageId: expect.stringMatching(/^sha256-[0-9a-f]{64}$/) },
    });
    expect(again).toEqual(first);
  });

  test("keeps the raw body for the reject record", () => {
    expect(readEnvelope({ id: "x", data: { subscription: "s" } })).toMatchObject({
      broken: { data: Buffer.from('{"subscription":"s"}') },
    });
  });
});

describe("parseInstant", () => {
  test.each([
    ["reads nanoseconds", "2024-11-22T08:00:00.000000001Z", { seconds: 1_732_262_400, nanoseconds: 1 }],
    ["reads milliseconds", "2024-11-22T08:00:00.5Z", { seconds: 1_732_262_400, nanoseconds: 500_000_000 }],
    ["reads an offset", "2024-11-22T09:00:00+01:00", { seconds: 1_732_262_400, nanoseconds: 0 }],
    ["refuses a date without a time", "2024-11-22", undefined],
    ["refuses a number", 1_732_262_400, undefined],
  ])("%s", (_name, text, expected) => {
    expect(parseInstant(text)).toEqual(expected);
  });
});

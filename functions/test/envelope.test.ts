import { createHash } from "node:crypto";
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

describe("readEnvelope says, per delivery format, where the message is missing and keeps the raw body", () => {
  const digest = (text: string) => `sha256-${createHash("sha256").update(text).digest("hex")}`;
  const messageBody = JSON.stringify({ message: { data } });
  test.each<[string, DeliveredEvent, { messageId: string; detail: RegExp; body: string }]>([
    [
      "a CloudEvent with no body at all",
      { id: "ce-2" },
      { messageId: "ce-2", detail: /^no Pub\/Sub message: data: .*expected object/, body: "null" },
    ],
    [
      "a structured body without a message",
      { id: "ce-3", data: { subscription: "s" } },
      {
        messageId: "ce-3",
        detail: /^no Pub\/Sub message: message: .*expected object/,
        body: '{"subscription":"s"}',
      },
    ],
    [
      "a message whose data is not a string",
      { id: "ce-4", data: { message: { data: 5 } } },
      {
        messageId: "ce-4",
        detail: /^no Pub\/Sub message: message\.data: .*expected string/,
        body: '{"message":{"data":5}}',
      },
    ],
    [
      "a binary-mode body of text that is not JSON",
      { id: "ce-5", data: "not json" },
      { messageId: "ce-5", detail: /^no Pub\/Sub message: data: .*expected object/, body: "not json" },
    ],
    [
      "a binary-mode body of bytes that are not JSON",
      { id: "ce-6", data: Buffer.from("not json") },
      { messageId: "ce-6", detail: /^no Pub\/Sub message: message: /, body: "not json" },
    ],
    [
      "a JSON array body, which is not read as bytes",
      { id: "ce-7", data: [0x7b, 0x7d] },
      { messageId: "ce-7", detail: /^no Pub\/Sub message: data: .*expected object/, body: "[123,125]" },
    ],
    [
      "a message without any id, under the digest of its body",
      { data: { message: { data } } },
      { messageId: digest(messageBody), detail: /^message has no messageId$/, body: messageBody },
    ],
    [
      "an empty CloudEvent id, which is no id",
      { id: "", data: { subscription: "s" } },
      {
        messageId: digest('{"subscription":"s"}'),
        detail: /^no Pub\/Sub message: message: /,
        body: '{"subscription":"s"}',
      },
    ],
    [
      "a CloudEvent id that is not a string",
      { id: 5, data: { subscription: "s" } },
      {
        messageId: digest('{"subscription":"s"}'),
        detail: /^no Pub\/Sub message: message: /,
        body: '{"subscription":"s"}',
      },
    ],
    [
      "message data that is not base64, under the message's own id",
      { id: "ce-8", data: { message: { data: "a b", messageId: "9" } } },
      {
        messageId: "9",
        detail: /^message\.data is not base64$/,
        body: '{"message":{"data":"a b","messageId":"9"}}',
      },
    ],
  ])("%s", (_name, event, expected) => {
    const envelope = readEnvelope(event);
    if (envelope.ok) throw new Error("a message was found");
    expect(envelope.broken.messageId).toBe(expected.messageId);
    expect(envelope.broken.detail).toMatch(expected.detail);
    expect(Buffer.from(envelope.broken.data).toString()).toBe(expected.body);
  });

  test("reads the body, not a stray top-level message, when both are there", () => {
    const stray = { data: Buffer.from("{}").toString("base64"), messageId: "stray" };
    expect(readEnvelope({ id: "ce-9", data: { message: eventarcMessage }, message: stray })).toMatchObject({
      ok: true,
      message: { messageId: "111" },
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
    ["refuses an array holding a time", ["2024-11-22T08:00:00Z"], undefined],
    ["refuses a month 13", "2024-13-01T00:00:00Z", undefined],
    ["refuses text before the time", "x2024-11-22T08:00:00Z", undefined],
    ["refuses text after the time", "2024-11-22T08:00:00Zx", undefined],
  ])("%s", (_name, text, expected) => {
    expect(parseInstant(text)).toEqual(expected);
  });
});

// The Pub/Sub envelope: find the message in an Eventarc CloudEvent or a converted push body.
// zod/mini with the English messages: the full API is twenty times larger, and every cold start loads it.
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { decodeStandardBase64, sha256Hex } from "./bytes.ts";

/** A point in time as Firestore stores it. */
export interface Instant {
  seconds: number;
  nanoseconds: number;
}

/** The Pub/Sub message a delivery carries. */
export interface PubsubMessage {
  messageId: string;
  publishTime: Instant | undefined;
  data: Uint8Array;
  attributes: Record<string, string>;
}

/** A delivery that carries no usable message: kept as `invalid_envelope` under `messageId`. */
export interface BrokenEnvelope {
  messageId: string;
  publishTime: Instant | undefined;
  detail: string;
  data: Uint8Array;
}

export type Envelope = { ok: true; message: PubsubMessage } | { ok: false; broken: BrokenEnvelope };

/** The fields of a CloudEvent this module reads; functions-framework hands over the parsed body. */
export interface DeliveredEvent {
  id?: unknown;
  time?: unknown;
  data?: unknown;
  message?: unknown;
}

const rfc3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;

/** An RFC 3339 time with up to nanosecond precision (Pub/Sub's publishTime), or undefined. */
export function parseInstant(text: unknown): Instant | undefined {
  if (typeof text !== "string") return undefined;
  const match = rfc3339.exec(text);
  if (!match) return undefined;
  const milliseconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(milliseconds)) return undefined;
  return { seconds: milliseconds / 1000, nanoseconds: Number((match[2] ?? "").padEnd(9, "0")) };
}

// Pub/Sub push bodies spell the fields both ways; Eventarc uses camelCase.
z.config(en());

const id = z.string().check(z.minLength(1));
const messageSchema = z.object({
  data: z.optional(z.string()),
  attributes: z.nullish(z.record(z.string(), z.string())),
  messageId: z.optional(id),
  message_id: z.optional(id),
  publishTime: z.optional(z.string()),
  publish_time: z.optional(z.string()),
});
const envelopeSchema = z.object({ message: messageSchema });

/** The delivery's payload as JSON: binary-mode CloudEvents with a non-JSON content type arrive as text or bytes. */
function payloadOf(event: DeliveredEvent): unknown {
  // A push body whose message has no data is not converted by functions-framework: it is the event itself.
  if (event.data === undefined && event.message !== undefined) return { message: event.message };
  if (typeof event.data !== "string" && !(event.data instanceof Uint8Array)) return event.data;
  try {
    return JSON.parse(Buffer.from(event.data).toString("utf8"));
  } catch {
    return event.data;
  }
}

/** Raw bytes of a payload for the reject record. */
function rawBytes(payload: unknown): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (typeof payload === "string") return Buffer.from(payload);
  return Buffer.from(JSON.stringify(payload ?? null));
}

/** Find the Pub/Sub message in a delivery, or say why there is none. */
export function readEnvelope(event: DeliveredEvent): Envelope {
  const payload = payloadOf(event);
  const parsed = envelopeSchema.safeParse(payload);
  const eventId = typeof event.id === "string" && event.id !== "" ? event.id : undefined;
  const eventTime = parseInstant(event.time);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // Stryker disable next-line OptionalChaining: a failed parse has at least one issue
    const where = issue?.path.join(".") || "data";
    const data = rawBytes(payload);
    // Without a message there is no messageId: the CloudEvent id, else a digest, keys the reject.
    const messageId = eventId ?? `sha256-${sha256Hex(data)}`;
    // Stryker disable next-line OptionalChaining,StringLiteral: a failed parse has an issue, and zod gives each a message
    const detail = `no Pub/Sub message: ${where}: ${issue?.message ?? "invalid"}`;
    return { ok: false, broken: { messageId, publishTime: eventTime, detail, data } };
  }
  const message = parsed.data.message;
  const messageId = message.messageId ?? message.message_id ?? eventId;
  const publishTime = parseInstant(message.publishTime ?? message.publish_time) ?? eventTime;
  const data = decodeStandardBase64(message.data ?? "");
  if (messageId === undefined || data === undefined) {
    const raw = rawBytes(payload);
    const detail = data === undefined ? "message.data is not base64" : "message has no messageId";
    const id = messageId ?? `sha256-${sha256Hex(raw)}`;
    return { ok: false, broken: { messageId: id, publishTime, detail, data: raw } };
  }
  return { ok: true, message: { messageId, publishTime, data, attributes: message.attributes ?? {} } };
}

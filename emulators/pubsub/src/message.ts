import { timestamp, type PubsubMessage } from "./wire.ts";

/** A published message as the emulator keeps it: immutable, shared by every subscription it fans out to. */
export interface StoredMessage {
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey: string;
  publishTimeMs: number;
}

/** The wire form of a stored message. */
export function toPubsubMessage(message: StoredMessage): PubsubMessage {
  return {
    data: message.data,
    attributes: message.attributes,
    messageId: message.messageId,
    publishTime: timestamp(message.publishTimeMs),
    orderingKey: message.orderingKey,
  };
}

/** The message's size for flow control: data plus attribute keys and values. */
export function messageBytes(message: StoredMessage): number {
  let size = message.data.length + message.orderingKey.length;
  for (const [key, value] of Object.entries(message.attributes)) size += key.length + value.length;
  return size;
}

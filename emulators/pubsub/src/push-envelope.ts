import type { Delivery } from "./delivery-queue.ts";

/** The JSON body Pub/Sub POSTs to a push endpoint (the default "wrapped" form, x-goog-version v1). */
export interface PushEnvelope {
  message: {
    data: string;
    attributes?: Record<string, string>;
    messageId: string;
    message_id: string;
    publishTime: string;
    publish_time: string;
    orderingKey?: string;
  };
  subscription: string;
  deliveryAttempt?: number;
}

/** Builds the push body; deliveryAttempt only when the subscription counts attempts (a dead-letter policy). */
export function pushEnvelope(
  subscription: string,
  delivery: Delivery,
  countsAttempts: boolean,
): PushEnvelope {
  const { message } = delivery;
  const publishTime = new Date(message.publishTimeMs).toISOString();
  const envelope: PushEnvelope = {
    message: {
      data: message.data.toString("base64"),
      ...(Object.keys(message.attributes).length > 0 ? { attributes: message.attributes } : {}),
      messageId: message.messageId,
      message_id: message.messageId,
      publishTime,
      publish_time: publishTime,
      ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
    },
    subscription,
  };
  if (countsAttempts) envelope.deliveryAttempt = delivery.attempt;
  return envelope;
}

/** The HTTP statuses Pub/Sub treats as an acknowledgement of a push. */
export const PUSH_ACK_STATUSES: ReadonlySet<number> = new Set([102, 200, 201, 202, 204]);

// The dead-letter subscription of the local pipeline: read without consuming, and counted where the
// emulator has no counters of its own.
import { v1, type PubSub } from "@google-cloud/pubsub";

/** A dead-lettered message; `messageId` is its id on the dead-letter topic, the attributes say where it came from. */
export interface DeadLetter {
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
}

export interface DeadLetterReader {
  read(): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

/** Reads the dead-letter subscription without consuming it: pull until empty, then release every lease. */
export function createDeadLetterReader(
  client: PubSub,
  projectId: string,
  subscription: string,
): DeadLetterReader {
  let subscriber: v1.SubscriberClient | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const name = `projects/${projectId}/subscriptions/${subscription}`;
  const readOnce = async (): Promise<DeadLetter[]> => {
    // The same endpoint and insecure credentials the PubSub client worked out for the emulator.
    subscriber ??= new v1.SubscriberClient(
      client.options as ConstructorParameters<typeof v1.SubscriberClient>[0],
    );
    const found = new Map<string, DeadLetter>();
    const ackIds: string[] = [];
    try {
      for (;;) {
        const [response] = await subscriber.pull(
          { subscription: name, maxMessages: 1000, returnImmediately: true },
          { timeout: 10_000 },
        );
        const received = response.receivedMessages ?? [];
        if (received.length === 0) break;
        for (const { ackId, message } of received) {
          if (ackId) ackIds.push(ackId);
          const messageId = message?.messageId ?? "";
          found.set(messageId, {
            messageId,
            data: Buffer.from(message?.data ?? new Uint8Array()),
            attributes: { ...(message?.attributes ?? {}) },
          });
        }
      }
    } finally {
      for (let start = 0; start < ackIds.length; start += 1000) {
        const batch = ackIds.slice(start, start + 1000);
        await subscriber.modifyAckDeadline({ subscription: name, ackIds: batch, ackDeadlineSeconds: 0 });
      }
    }
    return [...found.values()];
  };
  return {
    read() {
      // One reader at a time: a second pull while the first holds the leases would miss those messages.
      const result = queue.then(readOnce, readOnce);
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      await queue;
      await subscriber?.close();
    },
  };
}

/**
 * External emulators have no counters: count what the dead-letter subscription holds every few seconds.
 * Not only after failed deliveries: a push to a function server that is down fails without any outcome line.
 */
export function watchDeadLetters(reader: DeadLetterReader) {
  let count = 0;
  const timer = setInterval(() => {
    reader.read().then(
      (letters) => (count = letters.length),
      () => undefined,
    );
  }, 5_000);
  timer.unref();
  return { count: () => count, stop: () => clearInterval(timer) };
}

import type {
  sendUnaryData,
  ServerDuplexStream,
  ServerUnaryCall,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import {
  asServiceError,
  failedPrecondition,
  invalidArgument,
  notFound,
  unary,
} from "@scan-ingest/emulator-shared/status";
import type { Broker, SubscriptionState } from "./broker.ts";
import { newBatch, type Delivery, type Holder } from "./delivery-queue.ts";
import type { PubSubFaults } from "./faults.ts";
import { messageBytes, toPubsubMessage, type StoredMessage } from "./message.ts";
import { parseName } from "./names.ts";
import type {
  AcknowledgeRequest,
  Empty,
  ModifyAckDeadlineRequest,
  PullRequest,
  PullResponse,
  ReceivedMessage,
  StreamingPullRequest,
  StreamingPullResponse,
} from "./wire.ts";

// How long a Pull without return_immediately waits for a message before answering empty.
const PULL_WAIT_MS = 10_000;

/**
 * How old a message must be before an open streaming pull gets it. Google's emulator polls each stream every
 * 50 ms, so publish() has resolved before a subscriber sees the message; sent at once, a message reaches the
 * client's subscriber before its publisher has the id, which clients that wait for that id miss (docs/parity.md).
 */
export const STREAM_DELIVERY_DELAY_MS = 20;

/** The message-moving half of google.pubsub.v1.Subscriber: Pull, StreamingPull, Acknowledge, ModifyAckDeadline. */
export function pullImplementation(broker: Broker, faults: PubSubFaults): UntypedServiceImplementation {
  const pullable = (name: string | null | undefined): SubscriptionState => {
    parseName("subscriptions", name ?? "", "subscription");
    const state = broker.subscription(name ?? "");
    if (state.config.pushEndpoint) {
      throw failedPrecondition(`${name} is a push subscription; this emulator delivers it only by push.`);
    }
    return state;
  };

  return {
    Acknowledge: unary((request: AcknowledgeRequest): Empty => {
      parseName("subscriptions", request.subscription ?? "", "subscription");
      const { queue } = broker.subscription(request.subscription ?? "");
      if (!request.ackIds?.length) throw invalidArgument("ack_ids must not be empty.");
      for (const ackId of request.ackIds) queue.acknowledge(ackId);
      return {};
    }),
    ModifyAckDeadline: unary((request: ModifyAckDeadlineRequest): Empty => {
      parseName("subscriptions", request.subscription ?? "", "subscription");
      const { queue } = broker.subscription(request.subscription ?? "");
      const seconds = validDeadline(request.ackDeadlineSeconds ?? 0, "ack_deadline_seconds");
      for (const ackId of request.ackIds ?? []) queue.modifyDeadline(ackId, seconds);
      return {};
    }),
    Pull: (call: ServerUnaryCall<PullRequest, PullResponse>, callback: sendUnaryData<PullResponse>) => {
      void pull(call, faults, pullable).then(
        (response) => callback(null, response),
        (error: unknown) => callback(asServiceError(error)),
      );
    },
    StreamingPull: (call: ServerDuplexStream<StreamingPullRequest, StreamingPullResponse>) => {
      streamingPull(call, faults, pullable);
    },
  };
}

async function pull(
  call: ServerUnaryCall<PullRequest, PullResponse>,
  faults: PubSubFaults,
  pullable: (name: string | null | undefined) => SubscriptionState,
): Promise<PullResponse> {
  const { request } = call;
  const state = pullable(request.subscription);
  const maxMessages = request.maxMessages ?? 0;
  if (maxMessages <= 0) throw invalidArgument("max_messages must be greater than 0.");
  if (!request.returnImmediately && !state.queue.hasReady()) await waitForReady(state, call);
  if (faults.maxDelayMs > 0) await sleep(Math.random() * faults.maxDelayMs);
  const received: ReceivedMessage[] = [];
  const batch = newBatch();
  while (received.length < maxMessages) {
    const delivery = state.queue.take(state.config.ackDeadlineSeconds, undefined, 0, batch);
    if (!delivery) break;
    received.push(receivedMessage(state, delivery));
    const copy = maybeDuplicate(state, delivery, faults);
    if (copy) received.push(receivedMessage(state, copy));
  }
  return { receivedMessages: received };
}

function streamingPull(
  call: ServerDuplexStream<StreamingPullRequest, StreamingPullResponse>,
  faults: PubSubFaults,
  pullable: (name: string | null | undefined) => SubscriptionState,
): void {
  let state: SubscriptionState | undefined;
  let deadlineSeconds = 10;
  let maxMessages = 0;
  let maxBytes = 0;
  let outstanding = 0;
  let outstandingBytes = 0;
  let scheduled = false;
  let ended = false;
  let agingTimer: NodeJS.Timeout | undefined;

  const holder: Holder = {
    release(message: StoredMessage) {
      outstanding--;
      outstandingBytes -= messageBytes(message);
      wake();
    },
  };
  const hasRoom = (): boolean =>
    (maxMessages <= 0 || outstanding < maxMessages) &&
    (maxBytes <= 0 || outstanding === 0 || outstandingBytes < maxBytes);
  const send = (messages: ReceivedMessage[]): void => {
    if (!ended && messages.length > 0) call.write({ receivedMessages: messages });
  };
  const pump = (): void => {
    scheduled = false;
    if (!state || ended) return;
    const now: ReceivedMessage[] = [];
    const batch = newBatch();
    // Injected delays reorder messages, but those of one ordering key share one, so they keep their order.
    const keyDelays = new Map<string, number>();
    while (hasRoom()) {
      const drawn = Math.random() * faults.maxDelayMs;
      const delivery = state.queue.take(deadlineSeconds, holder, drawn, batch, STREAM_DELIVERY_DELAY_MS);
      if (!delivery) break;
      outstanding++;
      outstandingBytes += messageBytes(delivery.message);
      const key = state.config.ordered ? delivery.message.orderingKey : "";
      const delayMs = key === "" ? drawn : (keyDelays.get(key) ?? drawn);
      if (key !== "") keyDelays.set(key, delayMs);
      const copies = [delivery, maybeDuplicate(state, delivery, faults)].filter((copy) => copy !== undefined);
      for (const copy of copies) {
        const message = receivedMessage(state, copy);
        if (delayMs > 0) setTimeout(() => send([message]), delayMs);
        else now.push(message);
      }
    }
    send(now);
    const aging = hasRoom() ? state.queue.msUntilAged(STREAM_DELIVERY_DELAY_MS) : undefined;
    if (aging !== undefined && agingTimer === undefined) {
      agingTimer = setTimeout(() => {
        agingTimer = undefined;
        wake();
      }, aging);
    }
  };
  const wake = (): void => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(pump);
  };
  const fail = (error: unknown): void => {
    if (ended) return;
    ended = true;
    cleanup();
    call.emit("error", asServiceError(error));
  };
  const onDeleted = (): void => fail(notFound("The subscription was deleted."));
  const cleanup = (): void => {
    clearTimeout(agingTimer);
    if (!state) return;
    state.listeners.delete(wake);
    state.onClose.delete(onDeleted);
    state.queue.detach(holder);
  };

  call.on("data", (request: StreamingPullRequest) => {
    try {
      if (!state) {
        state = pullable(request.subscription);
        state.listeners.add(wake);
        state.onClose.add(onDeleted);
        maxMessages = Number(request.maxOutstandingMessages ?? 0);
        maxBytes = Number(request.maxOutstandingBytes ?? 0);
        deadlineSeconds = validDeadline(request.streamAckDeadlineSeconds ?? 0, "stream_ack_deadline_seconds");
        if (deadlineSeconds < 10) throw invalidArgument("stream_ack_deadline_seconds must be at least 10.");
      } else if (request.streamAckDeadlineSeconds) {
        deadlineSeconds = validDeadline(request.streamAckDeadlineSeconds, "stream_ack_deadline_seconds");
      }
      const ackIds = request.ackIds ?? [];
      const modifyIds = request.modifyDeadlineAckIds ?? [];
      const modifySeconds = request.modifyDeadlineSeconds ?? [];
      if (modifyIds.length !== modifySeconds.length) {
        throw invalidArgument("modify_deadline_ack_ids and modify_deadline_seconds differ in length.");
      }
      for (const ackId of ackIds) state.queue.acknowledge(ackId);
      modifyIds.forEach((ackId, index) =>
        state?.queue.modifyDeadline(
          ackId,
          validDeadline(modifySeconds[index] ?? 0, "modify_deadline_seconds"),
        ),
      );
      if (!request.subscription && ackIds.length === 0 && modifyIds.length === 0) call.write({}); // keepalive
      wake();
    } catch (error) {
      fail(error);
    }
  });
  call.on("end", () => {
    if (ended) return;
    ended = true;
    cleanup();
    call.end();
  });
  call.on("cancelled", () => {
    ended = true;
    cleanup();
  });
}

function receivedMessage(state: SubscriptionState, delivery: Delivery): ReceivedMessage {
  return {
    ackId: delivery.ackId,
    message: toPubsubMessage(delivery.message),
    deliveryAttempt: state.config.deadLetter ? delivery.attempt : 0,
  };
}

function maybeDuplicate(
  state: SubscriptionState,
  delivery: Delivery,
  faults: PubSubFaults,
): Delivery | undefined {
  if (!(faults.duplicateRate > 0 && Math.random() < faults.duplicateRate)) return undefined;
  const copy = state.queue.duplicate(delivery);
  if (copy) faults.injected.duplicates++;
  return copy;
}

function validDeadline(seconds: number, field: string): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 600) {
    throw invalidArgument(`Invalid ${field} ${seconds}: it must be between 0 and 600.`);
  }
  return seconds;
}

function waitForReady(
  state: SubscriptionState,
  call: ServerUnaryCall<PullRequest, PullResponse>,
): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      state.listeners.delete(done);
      state.onClose.delete(done);
      resolve();
    };
    const timer = setTimeout(done, PULL_WAIT_MS);
    state.listeners.add(done);
    state.onClose.add(done);
    call.on("cancelled", done);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import { backoffMs, PUSH_BACKOFF } from "./backoff.ts";
import type { PubSubCounters } from "./counters.ts";
import type { StoredMessage } from "./message.ts";
import { OrderingKeys } from "./ordering.ts";
import type { DeliveryConfig } from "./subscription-config.ts";

/** Whoever holds leased messages (a streaming-pull stream): told when one leaves its hands, for flow control. */
export interface Holder {
  release(message: StoredMessage): void;
}

/**
 * One response being filled (a Pull, one write of a streaming pull): the messages of an ordering key that
 * follow one leased into it may join it, in order, so a key is delivered a response at a time.
 */
export interface Batch {
  readonly following: Entry[];
}

/** An empty response to fill. */
export function newBatch(): Batch {
  return { following: [] };
}

/** One delivery handed to a subscriber. */
export interface Delivery {
  ackId: string;
  message: StoredMessage;
  /** Deliveries so far including this one, fault duplicates excluded. */
  attempt: number;
}

export interface QueueHooks {
  config(): DeliveryConfig;
  counters: PubSubCounters;
  /** Something became deliverable. */
  onReady(): void;
  /** Publishes the message to the dead-letter topic; false when that topic is gone. */
  deadLetter(message: StoredMessage, attempts: number): boolean;
  now(): number;
}

// "held": an ordered message waiting for the earlier messages of its ordering key to be acknowledged.
type State = "ready" | "leased" | "backoff" | "held" | "gone";

interface Entry {
  message: StoredMessage;
  attempts: number;
  state: State;
  ackIds: string[];
  currentAckId: string | undefined;
  holder: Holder | undefined;
  timer: NodeJS.Timeout | undefined;
  /** In the unconsumed part of the ready list (so it is never listed twice). */
  queued: boolean;
  /** Delivered in order of its ordering key. */
  ordered: boolean;
}

/** The delivery bookkeeping of one subscription: ready messages, leases with deadlines, backoff, dead letters. */
export class DeliveryQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly keys = new OrderingKeys<Entry>();
  /** Acknowledged messages kept for Seek while the subscription has retain_acked_messages. */
  private readonly acked = new Map<string, StoredMessage>();
  private readonly byAckId = new Map<string, Entry>();
  private ready: Entry[] = [];
  private readyHead = 0;
  private nextAckId = 0;
  private readonly prefix: string;
  private readonly hooks: QueueHooks;

  constructor(prefix: string, hooks: QueueHooks) {
    this.prefix = prefix;
    this.hooks = hooks;
  }

  /** Messages published to the subscription and not yet acked or dead-lettered. */
  get size(): number {
    return this.entries.size;
  }

  /** Whether a message could be delivered now. */
  hasReady(): boolean {
    this.skipGone();
    return this.readyHead < this.ready.length;
  }

  enqueue(message: StoredMessage): void {
    const entry: Entry = {
      message,
      attempts: 0,
      state: "ready",
      ackIds: [],
      currentAckId: undefined,
      holder: undefined,
      timer: undefined,
      queued: false,
      ordered: this.hooks.config().ordered && message.orderingKey !== "",
    };
    this.entries.set(message.messageId, entry);
    if (entry.ordered) {
      entry.state = "held";
      this.keys.add(entry);
      this.advance(message.orderingKey);
    } else {
      this.makeReady(entry);
    }
  }

  /**
   * Leases the next ready message for `deadlineSeconds` (after `delayMs` of injected delay). Within `batch`,
   * the next messages of an ordering key follow the one just leased; without one, a key goes one at a time.
   * A message published less than `minAgeMs` ago is not taken, nor any behind it in the ready list.
   */
  take(
    deadlineSeconds: number,
    holder?: Holder,
    delayMs = 0,
    batch?: Batch,
    minAgeMs = 0,
  ): Delivery | undefined {
    const { retentionMs } = this.hooks.config();
    const publishedBy = this.hooks.now() - minAgeMs;
    for (;;) {
      const entry = this.nextToTake(batch, publishedBy);
      if (!entry) return undefined;
      if (this.hooks.now() - entry.message.publishTimeMs > retentionMs) {
        this.remove(entry); // past the subscription's retention: Google drops it unacknowledged
        continue;
      }
      entry.attempts++;
      if (entry.attempts > 1) this.hooks.counters.redelivered++;
      entry.state = "leased";
      entry.holder = holder;
      const ackId = this.newAckId(entry);
      entry.currentAckId = ackId;
      this.setDeadline(entry, delayMs + deadlineSeconds * 1000);
      this.hooks.counters.delivered++;
      const following = entry.ordered ? this.keys.following(entry) : undefined;
      if (batch && following?.state === "held") batch.following.push(following);
      return { ackId, message: entry.message, attempt: entry.attempts };
    }
  }

  /** A second copy of a leased delivery (fault injection): its own ack id, no new attempt. */
  duplicate(delivery: Delivery): Delivery | undefined {
    const entry = this.byAckId.get(delivery.ackId);
    if (!entry || entry.state === "gone") return undefined;
    this.hooks.counters.delivered++;
    return { ackId: this.newAckId(entry), message: entry.message, attempt: entry.attempts };
  }

  /** Acknowledges by any ack id the message was delivered with; false when unknown or already done. */
  acknowledge(ackId: string): boolean {
    const entry = this.byAckId.get(ackId);
    if (!entry || entry.state === "gone") return false;
    this.remove(entry);
    if (this.hooks.config().retainAcked) this.acked.set(entry.message.messageId, entry.message);
    this.hooks.counters.acked++;
    return true;
  }

  /** Extends or shortens the current lease; 0 seconds is a nack. False when the ack id is not the current lease. */
  modifyDeadline(ackId: string, seconds: number): boolean {
    const entry = this.byAckId.get(ackId);
    if (!entry || entry.state !== "leased" || entry.currentAckId !== ackId) return false;
    if (seconds === 0) {
      this.hooks.counters.nacked++;
      this.fail(entry);
    } else {
      this.setDeadline(entry, seconds * 1000);
    }
    return true;
  }

  /** Forgets a holder that went away; its leases run until their deadlines, as on Google. */
  detach(holder: Holder): void {
    for (const entry of this.entries.values()) if (entry.holder === holder) entry.holder = undefined;
  }

  /** The unacknowledged messages, in publish order (what a snapshot keeps). */
  unacked(): StoredMessage[] {
    return inPublishOrder([...this.entries.values()].map((entry) => entry.message));
  }

  /** Every message still retained: unacknowledged ones and, with retain_acked_messages, acknowledged ones. */
  retained(): StoredMessage[] {
    const { retentionMs } = this.hooks.config();
    const oldest = this.hooks.now() - retentionMs;
    for (const [id, message] of this.acked) if (message.publishTimeMs < oldest) this.acked.delete(id);
    return inPublishOrder([...this.unacked(), ...this.acked.values()]);
  }

  /**
   * Seek: exactly `unacked` become unacknowledged, every other retained message acknowledged. Leases
   * outstanding are withdrawn, so their ack ids no longer count.
   */
  reset(unacked: StoredMessage[]): void {
    const keep = new Set(unacked.map((message) => message.messageId));
    const retainAcked = this.hooks.config().retainAcked;
    const previous = this.retained();
    for (const entry of this.entries.values()) this.releaseHolder(entry);
    this.close();
    this.acked.clear();
    if (retainAcked)
      for (const message of previous)
        if (!keep.has(message.messageId)) this.acked.set(message.messageId, message);
    for (const message of inPublishOrder(unacked)) this.enqueue(message);
  }

  /** Stops every timer: the subscription was deleted or the emulator stopped. */
  close(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
    this.byAckId.clear();
    this.keys.clear();
    this.ready = [];
    this.readyHead = 0;
  }

  /** Milliseconds until the head of the ready list is `minAgeMs` old (0: it is); undefined when none is ready. */
  msUntilAged(minAgeMs: number): number | undefined {
    this.skipGone();
    const entry = this.ready[this.readyHead];
    if (!entry) return undefined;
    return Math.max(0, entry.message.publishTimeMs + minAgeMs - this.hooks.now());
  }

  /**
   * The held message that follows one already in the batch, else the head of the ready list; only a message
   * published by `publishedBy` (a younger follower stays held and becomes ready when its key moves on).
   */
  private nextToTake(batch: Batch | undefined, publishedBy: number): Entry | undefined {
    for (let entry = batch?.following.shift(); entry; entry = batch?.following.shift()) {
      if (entry.state === "held" && entry.message.publishTimeMs <= publishedBy) return entry;
    }
    this.skipGone();
    const entry = this.ready[this.readyHead];
    if (!entry || entry.message.publishTimeMs > publishedBy) return undefined;
    this.readyHead++;
    entry.queued = false;
    return entry;
  }

  private newAckId(entry: Entry): string {
    const ackId = `${this.prefix}-${++this.nextAckId}`;
    entry.ackIds.push(ackId);
    this.byAckId.set(ackId, entry);
    return ackId;
  }

  private setDeadline(entry: Entry, ms: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.fail(entry), ms);
  }

  /** A nack or an expired lease: dead-letter after the last attempt, else redeliver after backoff. */
  private fail(entry: Entry): void {
    clearTimeout(entry.timer);
    this.releaseHolder(entry);
    entry.currentAckId = undefined;
    if (entry.ordered) this.holdBackLater(entry);
    const config = this.hooks.config();
    const { deadLetter } = config;
    if (deadLetter && entry.attempts >= deadLetter.maxDeliveryAttempts) {
      if (this.hooks.deadLetter(entry.message, entry.attempts)) {
        this.remove(entry);
        this.hooks.counters.deadLettered++;
        return;
      }
    }
    if (entry.ordered && this.keys.first(entry.message.orderingKey) !== entry) {
      entry.state = "held"; // an earlier message of its key is still out: it follows that one
      return;
    }
    const policy = config.retryPolicy ?? (config.pushEndpoint ? PUSH_BACKOFF : undefined);
    const delay = backoffMs(policy, entry.attempts);
    entry.state = "backoff";
    entry.timer = setTimeout(() => this.makeReady(entry), delay);
  }

  private makeReady(entry: Entry): void {
    if (entry.state === "gone") return;
    entry.state = "ready";
    entry.timer = undefined;
    if (!entry.queued) {
      entry.queued = true;
      this.ready.push(entry);
    }
    this.hooks.onReady();
  }

  /** Makes the first message of an ordering key deliverable once every earlier one is acknowledged. */
  private advance(key: string): void {
    const first = this.keys.first(key);
    if (first?.state === "held") this.makeReady(first);
  }

  /** A nacked or expired ordered message: the later messages of its key wait until it is delivered again. */
  private holdBackLater(entry: Entry): void {
    for (const later of this.keys.after(entry)) {
      if (later.state === "held" || later.state === "gone") continue;
      clearTimeout(later.timer);
      later.timer = undefined;
      this.releaseHolder(later);
      later.currentAckId = undefined;
      later.state = "held";
    }
  }

  private remove(entry: Entry): void {
    clearTimeout(entry.timer);
    this.releaseHolder(entry);
    entry.state = "gone";
    this.entries.delete(entry.message.messageId);
    for (const ackId of entry.ackIds) this.byAckId.delete(ackId);
    if (entry.ordered) {
      this.keys.remove(entry);
      this.advance(entry.message.orderingKey);
    }
  }

  private releaseHolder(entry: Entry): void {
    const holder = entry.holder;
    entry.holder = undefined;
    holder?.release(entry.message);
  }

  private skipGone(): void {
    for (;;) {
      const entry = this.ready[this.readyHead];
      if (!entry || entry.state === "ready") break;
      entry.queued = false;
      this.readyHead++;
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }
}

/** Messages sorted by publish order (message ids are assigned in sequence). */
function inPublishOrder(messages: StoredMessage[]): StoredMessage[] {
  return messages.sort(
    (a, b) => a.publishTimeMs - b.publishTimeMs || Number(a.messageId) - Number(b.messageId),
  );
}

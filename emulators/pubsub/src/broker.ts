import { alreadyExists, notFound } from "@scan-ingest/emulator-shared/status";
import type { PubSubCounters } from "./counters.ts";
import { DeliveryQueue } from "./delivery-queue.ts";
import type { StoredMessage } from "./message.ts";
import { DELETED_TOPIC, parseName } from "./names.ts";
import { DELETED_SCHEMA, SchemaStore } from "./schema-store.ts";
import { SnapshotStore } from "./snapshots.ts";
import type { DeliveryConfig } from "./subscription-config.ts";
import type { Subscription, Topic } from "./wire.ts";

/** A subscription and everything that delivers from it. */
export interface SubscriptionState {
  resource: Subscription;
  config: DeliveryConfig;
  queue: DeliveryQueue;
  /** Called whenever a message becomes deliverable (push dispatcher, waiting pulls, streams). */
  listeners: Set<() => void>;
  /** Called once when the subscription is deleted or the emulator stops. */
  onClose: Set<() => void>;
}

/** The message to publish, before the emulator assigns its id and publish time. */
export interface NewMessage {
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey: string;
}

/** The in-memory state of the emulator: topics, subscriptions, fan-out and dead-lettering. */
export class Broker {
  readonly topics = new Map<string, { resource: Topic; subscriptions: Set<string> }>();
  readonly subscriptions = new Map<string, SubscriptionState>();
  readonly snapshots = new SnapshotStore();
  readonly schemas = new SchemaStore();
  readonly counters: PubSubCounters;
  private nextMessageId = 1;

  constructor(counters: PubSubCounters) {
    this.counters = counters;
  }

  topic(name: string): { resource: Topic; subscriptions: Set<string> } {
    const topic = this.topics.get(name);
    if (!topic) throw notFound(`Topic not found: ${name}`);
    return topic;
  }

  subscription(name: string): SubscriptionState {
    const subscription = this.subscriptions.get(name);
    if (!subscription) throw notFound(`Subscription does not exist: ${name}`);
    return subscription;
  }

  addTopic(resource: Topic): void {
    const name = resource.name ?? "";
    if (this.topics.has(name)) throw alreadyExists(`Topic already exists: ${name}`);
    this.topics.set(name, { resource, subscriptions: new Set() });
  }

  deleteTopic(name: string): void {
    const topic = this.topic(name);
    for (const subscription of topic.subscriptions) {
      const state = this.subscriptions.get(subscription);
      if (state) state.resource.topic = DELETED_TOPIC;
    }
    this.topics.delete(name);
  }

  addSubscription(resource: Subscription, config: DeliveryConfig): SubscriptionState {
    const name = resource.name ?? "";
    const topic = this.topic(resource.topic ?? "");
    if (this.subscriptions.has(name)) throw alreadyExists(`Subscription already exists: ${name}`);
    const { project, id } = parseName("subscriptions", name, "name");
    const state: SubscriptionState = {
      resource,
      config,
      listeners: new Set(),
      onClose: new Set(),
      queue: new DeliveryQueue(id, {
        config: () => state.config,
        counters: this.counters,
        onReady: () => {
          for (const listener of state.listeners) listener();
        },
        deadLetter: (message, attempts) => this.deadLetter(project, id, message, attempts),
        now: Date.now,
      }),
    };
    this.subscriptions.set(name, state);
    topic.subscriptions.add(name);
    return state;
  }

  deleteSubscription(name: string): void {
    const state = this.subscription(name);
    this.subscriptions.delete(name);
    this.topics.get(state.resource.topic ?? "")?.subscriptions.delete(name);
    close(state);
  }

  /** Deletes a schema; the topics that named it keep "_deleted-schema_" and refuse publishes (SchemaSettings.schema). */
  deleteSchema(name: string): void {
    this.schemas.delete(name);
    for (const { resource } of this.topics.values()) {
      if (resource.schemaSettings?.schema === name) {
        resource.schemaSettings = { ...resource.schemaSettings, schema: DELETED_SCHEMA };
      }
    }
  }

  /** Stores the messages and fans them out to the topic's current subscriptions; returns their ids. */
  publish(topicName: string, messages: NewMessage[]): string[] {
    const ids = this.fanOut(topicName, messages);
    this.counters.published += ids.length;
    return ids;
  }

  private fanOut(topicName: string, messages: NewMessage[]): string[] {
    const topic = this.topic(topicName);
    const publishTimeMs = Date.now();
    const stored = messages.map((message): StoredMessage => ({
      ...message,
      messageId: String(this.nextMessageId++),
      publishTimeMs,
    }));
    for (const subscription of topic.subscriptions) {
      const state = this.subscriptions.get(subscription);
      for (const message of stored) state?.queue.enqueue(message);
    }
    this.snapshots.record(topicName, stored);
    return stored.map((message) => message.messageId);
  }

  /** Live backlog of one subscription, by full name or by its id alone (summed over projects). */
  outstanding(subscription: string): number {
    if (subscription.startsWith("projects/")) return this.subscriptions.get(subscription)?.queue.size ?? 0;
    let total = 0;
    for (const [name, state] of this.subscriptions) {
      if (name.endsWith(`/subscriptions/${subscription}`)) total += state.queue.size;
    }
    return total;
  }

  /** Stops all timers and ends all streams. */
  close(): void {
    for (const state of this.subscriptions.values()) close(state);
    this.subscriptions.clear();
    this.topics.clear();
    this.snapshots.clear();
    this.schemas.clear();
  }

  private deadLetter(project: string, id: string, message: StoredMessage, attempts: number): boolean {
    const state = this.subscriptions.get(`projects/${project}/subscriptions/${id}`);
    const topic = state?.config.deadLetter?.topic;
    if (!topic || !this.topics.has(topic)) return false;
    this.fanOut(topic, [
      {
        data: message.data,
        orderingKey: message.orderingKey,
        attributes: {
          ...message.attributes,
          CloudPubSubDeadLetterSourceDeliveryCount: String(attempts),
          CloudPubSubDeadLetterSourceSubscription: id,
          CloudPubSubDeadLetterSourceSubscriptionProject: project,
          CloudPubSubDeadLetterSourceTopicPublishTime: new Date(message.publishTimeMs)
            .toISOString()
            .replace("Z", "+00:00"),
        },
      },
    ]);
    return true;
  }
}

function close(state: SubscriptionState): void {
  state.queue.close();
  state.listeners.clear();
  for (const onClose of state.onClose) onClose();
  state.onClose.clear();
}

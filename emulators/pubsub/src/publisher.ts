import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { invalidArgument, notFound, unary, unimplemented } from "@scan-ingest/emulator-shared/status";
import type { Broker, NewMessage } from "./broker.ts";
import { parseName, parseProject } from "./names.ts";
import { page } from "./page.ts";
import { checkMessage, DELETED_SCHEMA } from "./schema-store.ts";
import {
  durationMs,
  maskPaths,
  type DeleteTopicRequest,
  type Empty,
  type GetTopicRequest,
  type ListTopicsRequest,
  type ListTopicsResponse,
  type ListTopicSubscriptionsRequest,
  type ListTopicSubscriptionsResponse,
  type ListTopicSnapshotsRequest,
  type ListTopicSnapshotsResponse,
  type PublishRequest,
  type PublishResponse,
  type PubsubMessage,
  type Topic,
  type UpdateTopicRequest,
} from "./wire.ts";

const MAX_MESSAGES = 1000;
const MAX_REQUEST_BYTES = 10_000_000;
const UPDATABLE_TOPIC_FIELDS = new Set(["labels", "message_retention_duration", "schema_settings"]);

/** The google.pubsub.v1.Publisher service over the broker. */
export function publisherImplementation(broker: Broker): UntypedServiceImplementation {
  return {
    CreateTopic: unary((request: Topic): Topic => {
      const resource = validateTopic(broker, request);
      broker.addTopic(resource);
      return resource;
    }),
    GetTopic: unary((request: GetTopicRequest): Topic => {
      parseName("topics", request.topic ?? "", "topic");
      return broker.topic(request.topic ?? "").resource;
    }),
    UpdateTopic: unary((request: UpdateTopicRequest): Topic => {
      const name = request.topic?.name ?? "";
      parseName("topics", name, "topic.name");
      const topic = broker.topic(name);
      const paths = maskPaths(request.updateMask);
      if (paths.length === 0) throw invalidArgument("update_mask must name at least one field.");
      const next: Topic = { ...topic.resource };
      for (const path of paths) {
        if (!UPDATABLE_TOPIC_FIELDS.has(path)) {
          throw unimplemented(`The embedded Pub/Sub emulator cannot update topic field ${path}.`);
        }
        if (path === "labels") next.labels = request.topic?.labels ?? {};
        else if (path === "schema_settings") next.schemaSettings = request.topic?.schemaSettings ?? null;
        else next.messageRetentionDuration = request.topic?.messageRetentionDuration ?? null;
      }
      topic.resource = validateTopic(broker, next);
      return topic.resource;
    }),
    ListTopics: unary((request: ListTopicsRequest): ListTopicsResponse => {
      const project = parseProject(request.project ?? "");
      const names = [...broker.topics.keys()]
        .filter((name) => name.startsWith(`projects/${project}/`))
        .sort();
      const { items, nextPageToken } = page(names, request.pageSize, request.pageToken);
      return { topics: items.map((name) => broker.topic(name).resource), nextPageToken };
    }),
    ListTopicSubscriptions: unary(
      (request: ListTopicSubscriptionsRequest): ListTopicSubscriptionsResponse => {
        parseName("topics", request.topic ?? "", "topic");
        const names = [...broker.topic(request.topic ?? "").subscriptions].sort();
        const { items, nextPageToken } = page(names, request.pageSize, request.pageToken);
        return { subscriptions: items, nextPageToken };
      },
    ),
    ListTopicSnapshots: unary((request: ListTopicSnapshotsRequest): ListTopicSnapshotsResponse => {
      parseName("topics", request.topic ?? "", "topic");
      broker.topic(request.topic ?? "");
      const names = broker.snapshots.ofTopic(request.topic ?? "");
      const { items, nextPageToken } = page(names, request.pageSize, request.pageToken);
      return { snapshots: items, nextPageToken };
    }),
    DeleteTopic: unary((request: DeleteTopicRequest): Empty => {
      parseName("topics", request.topic ?? "", "topic");
      broker.deleteTopic(request.topic ?? "");
      return {};
    }),
    Publish: unary((request: PublishRequest): PublishResponse => {
      parseName("topics", request.topic ?? "", "topic");
      const topic = broker.topic(request.topic ?? "");
      const messages = validateMessages(request.messages ?? []);
      checkSchema(broker, topic.resource, messages);
      const messageIds = broker.publish(request.topic ?? "", messages);
      return { messageIds };
    }),
  };
}

/** Refuses the request unless every message's data matches the topic's schema, if it names one. */
function checkSchema(broker: Broker, topic: Topic, messages: NewMessage[]): void {
  const settings = topic.schemaSettings;
  if (!settings?.schema) return;
  if (settings.schema === DELETED_SCHEMA) throw notFound("Schema associated with topic deleted.");
  const { type } = broker.schemas.get(settings.schema);
  messages.forEach((message, index) => {
    try {
      checkMessage(type, message.data, settings.encoding);
    } catch (error) {
      throw invalidArgument(
        `Could not parse message ${index} with ${settings.schema}: ${(error as Error).message}`,
      );
    }
  });
}

function validateTopic(broker: Broker, input: Topic): Topic {
  parseName("topics", input.name ?? "", "name");
  const retentionMs = durationMs(input.messageRetentionDuration);
  if (retentionMs !== undefined && (retentionMs < 600_000 || retentionMs > 31 * 86_400_000)) {
    throw invalidArgument("Invalid message_retention_duration: it must be between 10 minutes and 31 days.");
  }
  const schemaSettings = input.schemaSettings?.schema ? input.schemaSettings : null;
  if (schemaSettings) {
    parseName("schemas", schemaSettings.schema ?? "", "schema_settings.schema");
    if (!broker.schemas.has(schemaSettings.schema ?? "")) {
      throw notFound(`Schema could not be found: ${schemaSettings.schema ?? ""}`);
    }
    if (schemaSettings.encoding !== "JSON" && schemaSettings.encoding !== "BINARY") {
      throw invalidArgument(
        "Invalid schema encoding provided: schema_settings.encoding must be JSON or BINARY.",
      );
    }
  }
  return {
    name: input.name ?? "",
    labels: input.labels ?? {},
    messageRetentionDuration: input.messageRetentionDuration ?? null,
    schemaSettings,
    state: "ACTIVE",
  };
}

function validateMessages(messages: PubsubMessage[]): NewMessage[] {
  if (messages.length === 0) throw invalidArgument("The request contains no messages.");
  if (messages.length > MAX_MESSAGES) {
    throw invalidArgument(
      `The request contains ${messages.length} messages; at most ${MAX_MESSAGES} are allowed.`,
    );
  }
  let bytes = 0;
  const valid = messages.map((message, index): NewMessage => {
    const data = Buffer.from(message.data ?? []);
    const attributes = message.attributes ?? {};
    const keys = Object.keys(attributes);
    if (data.length === 0 && keys.length === 0) {
      throw invalidArgument(`Message ${index} has neither data nor attributes.`);
    }
    if (keys.length > 100) throw invalidArgument(`Message ${index} has more than 100 attributes.`);
    for (const key of keys) {
      const value = attributes[key] ?? "";
      if (key === "" || Buffer.byteLength(key) > 256 || key.startsWith("goog")) {
        throw invalidArgument(`Message ${index} has an invalid attribute key "${key}".`);
      }
      if (Buffer.byteLength(value) > 1024) {
        throw invalidArgument(`Message ${index} attribute "${key}" is longer than 1024 bytes.`);
      }
      bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    }
    bytes += data.length;
    return { data, attributes, orderingKey: message.orderingKey ?? "" };
  });
  if (bytes > MAX_REQUEST_BYTES) throw invalidArgument("The request is larger than 10 MB.");
  return valid;
}

// The wire shapes of google.pubsub.v1, as the client's generated typings describe them.
import type { google } from "@google-cloud/pubsub/build/protos/protos.js";

export type Topic = google.pubsub.v1.ITopic;
export type Subscription = google.pubsub.v1.ISubscription;
export type PubsubMessage = google.pubsub.v1.IPubsubMessage;
export type ReceivedMessage = google.pubsub.v1.IReceivedMessage;
export type PushConfig = google.pubsub.v1.IPushConfig;
export type Duration = google.protobuf.IDuration;
export type Timestamp = google.protobuf.ITimestamp;
export type FieldMask = google.protobuf.IFieldMask;
export type Empty = google.protobuf.IEmpty;
export type PublishRequest = google.pubsub.v1.IPublishRequest;
export type PublishResponse = google.pubsub.v1.IPublishResponse;
export type GetTopicRequest = google.pubsub.v1.IGetTopicRequest;
export type UpdateTopicRequest = google.pubsub.v1.IUpdateTopicRequest;
export type ListTopicsRequest = google.pubsub.v1.IListTopicsRequest;
export type ListTopicsResponse = google.pubsub.v1.IListTopicsResponse;
export type ListTopicSubscriptionsRequest = google.pubsub.v1.IListTopicSubscriptionsRequest;
export type ListTopicSubscriptionsResponse = google.pubsub.v1.IListTopicSubscriptionsResponse;
export type DeleteTopicRequest = google.pubsub.v1.IDeleteTopicRequest;
export type GetSubscriptionRequest = google.pubsub.v1.IGetSubscriptionRequest;
export type UpdateSubscriptionRequest = google.pubsub.v1.IUpdateSubscriptionRequest;
export type ListSubscriptionsRequest = google.pubsub.v1.IListSubscriptionsRequest;
export type ListSubscriptionsResponse = google.pubsub.v1.IListSubscriptionsResponse;
export type DeleteSubscriptionRequest = google.pubsub.v1.IDeleteSubscriptionRequest;
export type ModifyPushConfigRequest = google.pubsub.v1.IModifyPushConfigRequest;
export type PullRequest = google.pubsub.v1.IPullRequest;
export type PullResponse = google.pubsub.v1.IPullResponse;
export type AcknowledgeRequest = google.pubsub.v1.IAcknowledgeRequest;
export type ModifyAckDeadlineRequest = google.pubsub.v1.IModifyAckDeadlineRequest;
export type StreamingPullRequest = google.pubsub.v1.IStreamingPullRequest;
export type StreamingPullResponse = google.pubsub.v1.IStreamingPullResponse;
export type Snapshot = google.pubsub.v1.ISnapshot;
export type GetSnapshotRequest = google.pubsub.v1.IGetSnapshotRequest;
export type ListSnapshotsRequest = google.pubsub.v1.IListSnapshotsRequest;
export type ListSnapshotsResponse = google.pubsub.v1.IListSnapshotsResponse;
export type CreateSnapshotRequest = google.pubsub.v1.ICreateSnapshotRequest;
export type DeleteSnapshotRequest = google.pubsub.v1.IDeleteSnapshotRequest;
export type SeekRequest = google.pubsub.v1.ISeekRequest;
export type SeekResponse = google.pubsub.v1.ISeekResponse;
export type ListTopicSnapshotsRequest = google.pubsub.v1.IListTopicSnapshotsRequest;
export type ListTopicSnapshotsResponse = google.pubsub.v1.IListTopicSnapshotsResponse;
export type Schema = google.pubsub.v1.ISchema;
export type SchemaSettings = google.pubsub.v1.ISchemaSettings;
export type CreateSchemaRequest = google.pubsub.v1.ICreateSchemaRequest;
export type GetSchemaRequest = google.pubsub.v1.IGetSchemaRequest;
export type ListSchemasRequest = google.pubsub.v1.IListSchemasRequest;
export type ListSchemasResponse = google.pubsub.v1.IListSchemasResponse;
export type DeleteSchemaRequest = google.pubsub.v1.IDeleteSchemaRequest;
export type ValidateSchemaRequest = google.pubsub.v1.IValidateSchemaRequest;
export type ValidateMessageRequest = google.pubsub.v1.IValidateMessageRequest;

/** Milliseconds in a protobuf Duration (absent: undefined). */
export function durationMs(duration: Duration | null | undefined): number | undefined {
  if (!duration) return undefined;
  return Number(duration.seconds ?? 0) * 1000 + Math.round(Number(duration.nanos ?? 0) / 1e6);
}

/** A protobuf Duration of this many milliseconds. */
export function duration(ms: number): Duration {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/** A protobuf Timestamp of this many milliseconds since the epoch. */
export function timestamp(ms: number): Timestamp {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/** Milliseconds since the epoch of a protobuf Timestamp (absent: undefined). */
export function timestampMs(value: Timestamp | null | undefined): number | undefined {
  if (!value) return undefined;
  return Number(value.seconds ?? 0) * 1000 + Math.floor(Number(value.nanos ?? 0) / 1e6);
}

/** The update-mask paths in snake_case, whichever case the client sent. */
export function maskPaths(mask: FieldMask | null | undefined): string[] {
  return (mask?.paths ?? []).map((path) => path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`));
}

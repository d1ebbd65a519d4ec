import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { invalidArgument, notFound, unary, unimplemented } from "@scan-ingest/emulator-shared/status";
import type { Broker, SubscriptionState } from "./broker.ts";
import type { PubSubFaults } from "./faults.ts";
import { parseName, parseProject } from "./names.ts";
import { page } from "./page.ts";
import { startPush } from "./push.ts";
import { validateSubscription } from "./subscription-config.ts";
import {
  maskPaths,
  type DeleteSubscriptionRequest,
  type Empty,
  type GetSubscriptionRequest,
  type ListSubscriptionsRequest,
  type ListSubscriptionsResponse,
  type ModifyPushConfigRequest,
  type Subscription,
  type UpdateSubscriptionRequest,
} from "./wire.ts";

// snake_case update-mask path → the camelCase field it replaces.
const UPDATABLE_FIELDS: Record<string, keyof Subscription> = {
  ack_deadline_seconds: "ackDeadlineSeconds",
  push_config: "pushConfig",
  retry_policy: "retryPolicy",
  dead_letter_policy: "deadLetterPolicy",
  labels: "labels",
  message_retention_duration: "messageRetentionDuration",
  enable_exactly_once_delivery: "enableExactlyOnceDelivery",
  expiration_policy: "expirationPolicy",
  filter: "filter",
  retain_acked_messages: "retainAckedMessages",
};

/** The administrative half of google.pubsub.v1.Subscriber: subscription lifecycle and push configuration. */
export function subscriptionAdministration(
  broker: Broker,
  faults: PubSubFaults,
  pushConcurrency: number,
): UntypedServiceImplementation {
  const pushers = new Map<SubscriptionState, { stop(): void }>();
  /** Starts or stops push delivery to match the subscription's push endpoint. */
  const syncPush = (state: SubscriptionState): void => {
    const running = pushers.get(state);
    if (state.config.pushEndpoint && !running) {
      pushers.set(state, startPush(state, faults, pushConcurrency));
      state.onClose.add(() => {
        pushers.get(state)?.stop();
        pushers.delete(state);
      });
    } else if (!state.config.pushEndpoint && running) {
      running.stop();
      pushers.delete(state);
    }
  };
  const validate = (input: Subscription): ReturnType<typeof validateSubscription> => {
    parseName("subscriptions", input.name ?? "", "name");
    const validated = validateSubscription(input);
    const deadLetterTopic = validated.config.deadLetter?.topic;
    if (deadLetterTopic && !broker.topics.has(deadLetterTopic)) {
      throw notFound(`Dead-letter topic not found: ${deadLetterTopic}`);
    }
    return validated;
  };

  return {
    CreateSubscription: unary((request: Subscription): Subscription => {
      parseName("topics", request.topic ?? "", "topic");
      const { resource, config } = validate(request);
      syncPush(broker.addSubscription(resource, config));
      return resource;
    }),
    GetSubscription: unary((request: GetSubscriptionRequest): Subscription => {
      parseName("subscriptions", request.subscription ?? "", "subscription");
      return broker.subscription(request.subscription ?? "").resource;
    }),
    UpdateSubscription: unary((request: UpdateSubscriptionRequest): Subscription => {
      const name = request.subscription?.name ?? "";
      parseName("subscriptions", name, "subscription.name");
      const state = broker.subscription(name);
      const paths = maskPaths(request.updateMask);
      if (paths.length === 0) throw invalidArgument("update_mask must name at least one field.");
      const next: Subscription = { ...state.resource };
      for (const path of paths) {
        const field = UPDATABLE_FIELDS[path];
        if (!field)
          throw unimplemented(`The embedded Pub/Sub emulator cannot update subscription field ${path}.`);
        Object.assign(next, { [field]: request.subscription?.[field] ?? null });
      }
      const { resource, config } = validate(next);
      state.resource = resource;
      state.config = config;
      syncPush(state);
      return resource;
    }),
    ListSubscriptions: unary((request: ListSubscriptionsRequest): ListSubscriptionsResponse => {
      const project = parseProject(request.project ?? "");
      const names = [...broker.subscriptions.keys()].filter((name) =>
        name.startsWith(`projects/${project}/`),
      );
      const { items, nextPageToken } = page(names.sort(), request.pageSize, request.pageToken);
      return { subscriptions: items.map((name) => broker.subscription(name).resource), nextPageToken };
    }),
    DeleteSubscription: unary((request: DeleteSubscriptionRequest): Empty => {
      parseName("subscriptions", request.subscription ?? "", "subscription");
      broker.deleteSubscription(request.subscription ?? "");
      return {};
    }),
    ModifyPushConfig: unary((request: ModifyPushConfigRequest): Empty => {
      parseName("subscriptions", request.subscription ?? "", "subscription");
      const state = broker.subscription(request.subscription ?? "");
      const { resource, config } = validate({ ...state.resource, pushConfig: request.pushConfig ?? null });
      state.resource = resource;
      state.config = config;
      syncPush(state);
      return {};
    }),
  };
}

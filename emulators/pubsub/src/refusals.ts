import type {
  handleUnaryCall,
  ServiceDefinition,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { fieldRefusal, withUnimplemented } from "@scan-ingest/emulator-shared/refusals";
import { asServiceError } from "@scan-ingest/emulator-shared/status";

// What the embedded emulator cannot do to a topic or subscription: storage, encryption and schema
// policies, ingestion and export, transforms, IAM tags, filtering, exactly-once, authenticated or unwrapped push.
const TOPIC = [
  "messageStoragePolicy",
  "kmsKeyName",
  "schemaSettings.firstRevisionId",
  "schemaSettings.lastRevisionId",
  "ingestionDataSourceSettings",
  "messageTransforms",
  "tags",
];
const PUSH = ["pushConfig.oidcToken", "pushConfig.noWrapper"];
const SUBSCRIPTION = [
  ...PUSH,
  "bigqueryConfig",
  "cloudStorageConfig",
  "bigtableConfig",
  "expirationPolicy.ttl",
  "filter",
  "detached",
  "enableExactlyOnceDelivery",
  "messageTransforms",
  "tags",
];

/**
 * Request fields the embedded emulator does not implement, per method, as camelCase paths from the request.
 * A request that sets one is refused UNIMPLEMENTED naming it, never answered as if it were absent.
 * test/proto-walk.test.ts proves every other field of the methods served is honoured.
 */
export const REFUSED_FIELDS: Record<string, string[]> = {
  CreateTopic: TOPIC,
  UpdateTopic: TOPIC.map((path) => `topic.${path}`),
  CreateSubscription: SUBSCRIPTION,
  UpdateSubscription: SUBSCRIPTION.map((path) => `subscription.${path}`),
  ModifyPushConfig: PUSH,
  CreateSnapshot: ["tags"],
};

/** UNIMPLEMENTED naming the first refused field the request sets, or undefined; requests decode with defaults. */
export function refusal(method: string, request: unknown): Error | undefined {
  return fieldRefusal("Pub/Sub", method, REFUSED_FIELDS[method] ?? [], request, "zero");
}

/** A unary handler that first refuses the request if it sets a field REFUSED_FIELDS lists for the method. */
function refusingFields(method: string, handler: UntypedHandleCall): UntypedHandleCall {
  if (!REFUSED_FIELDS[method]) return handler;
  const unary = handler as handleUnaryCall<unknown, unknown>;
  const refusing: handleUnaryCall<unknown, unknown> = (call, callback) => {
    const error = refusal(method, call.request);
    if (error) callback(asServiceError(error));
    else unary(call, callback);
  };
  return refusing;
}

/**
 * The implementation with every method it lacks answering UNIMPLEMENTED naming the method, and every method
 * it has refusing the request fields it does not implement.
 */
export function withRefusals(
  service: string,
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
): UntypedServiceImplementation {
  return withUnimplemented(
    definition,
    implementation,
    (method) => `The embedded Pub/Sub emulator does not implement ${service}/${method}.`,
    refusingFields,
  );
}

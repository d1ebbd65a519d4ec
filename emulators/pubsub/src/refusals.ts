import type { handleUnaryCall, UntypedHandleCall } from "@grpc/grpc-js";
import { asServiceError, unimplemented } from "@scan-ingest/emulator-shared/status";

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

const snake = (path: string): string => path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Whether a decoded request sets the field at `path`. Requests are decoded with defaults, so an unset field
 * reads as its zero value: "", 0, false, null, an empty list or map, or an enum's *_UNSPECIFIED.
 */
function isSet(value: unknown, path: string[]): boolean {
  if (value === undefined || value === null || value === "" || value === 0 || value === false) return false;
  if (Array.isArray(value)) return value.some((element) => isSet(element, path));
  if (path.length === 0) {
    if (typeof value === "string") return !value.endsWith("_UNSPECIFIED");
    if (value instanceof Uint8Array) return value.length > 0;
    return typeof value !== "object" || Object.keys(value).length > 0;
  }
  const [head, ...rest] = path as [string, ...string[]];
  return typeof value === "object" && isSet((value as Record<string, unknown>)[head], rest);
}

/** UNIMPLEMENTED naming the first refused field the request sets, or undefined. */
export function refusal(method: string, request: unknown): Error | undefined {
  const path = (REFUSED_FIELDS[method] ?? []).find((refused) => isSet(request, refused.split(".")));
  return path === undefined
    ? undefined
    : unimplemented(
        `${method}: the field ${snake(path)} is not implemented by the embedded Pub/Sub emulator.`,
      );
}

/** A unary handler that first refuses the request if it sets a field REFUSED_FIELDS lists for the method. */
export function refusingFields(method: string, handler: UntypedHandleCall): UntypedHandleCall {
  if (!REFUSED_FIELDS[method]) return handler;
  const unary = handler as handleUnaryCall<unknown, unknown>;
  const refusing: handleUnaryCall<unknown, unknown> = (call, callback) => {
    const error = refusal(method, call.request);
    if (error) callback(asServiceError(error));
    else unary(call, callback);
  };
  return refusing;
}

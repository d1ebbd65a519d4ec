// What both embedded emulators refuse, and how: a method they do not serve, or a request field they do not
// implement, answers UNIMPLEMENTED naming it, never as if it were absent.
import type {
  handleBidiStreamingCall,
  ServiceDefinition,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { asServiceError, unary, unimplemented } from "./status.ts";

/**
 * How a decoded request shows an unset field: "absent" when decoded without defaults (an empty message
 * counts as set), "zero" when decoded with defaults ("", 0, false, null, an empty list, map or bytes, or an
 * enum's *_UNSPECIFIED count as unset).
 */
export type Decoding = "absent" | "zero";

/** Whether a decoded request sets the field at `path` (in any array element). */
function isSet(value: unknown, path: string[], decoding: Decoding): boolean {
  if (value === undefined || value === null) return false;
  if (decoding === "zero" && (value === "" || value === 0 || value === false)) return false;
  if (Array.isArray(value)) return value.some((element) => isSet(element, path, decoding));
  if (path.length === 0) {
    if (decoding === "absent") return true;
    if (typeof value === "string") return !value.endsWith("_UNSPECIFIED");
    if (value instanceof Uint8Array) return value.length > 0;
    return typeof value !== "object" || Object.keys(value).length > 0;
  }
  const [head, ...rest] = path as [string, ...string[]];
  return typeof value === "object" && isSet((value as Record<string, unknown>)[head], rest, decoding);
}

const snake = (path: string): string => path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * UNIMPLEMENTED naming the first of `refused` (camelCase paths from the request) that the request sets,
 * or undefined; `emulator` is its name in the message ("Firestore", "Pub/Sub").
 */
export function fieldRefusal(
  emulator: string,
  method: string,
  refused: readonly string[],
  request: unknown,
  decoding: Decoding,
): Error | undefined {
  const path = refused.find((candidate) => isSet(request, candidate.split("."), decoding));
  return path === undefined
    ? undefined
    : unimplemented(
        `${method}: the field ${snake(path)} is not implemented by the embedded ${emulator} emulator.`,
      );
}

/**
 * The implementation with every method of `definition` it lacks answering UNIMPLEMENTED with `message(method)`,
 * so that no request of a service the emulator serves goes unanswered; `wrap` may decorate the methods it has.
 */
export function withUnimplemented(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  message: (method: string) => string,
  wrap: (method: string, handler: UntypedHandleCall) => UntypedHandleCall = (_method, handler) => handler,
): UntypedServiceImplementation {
  const complete: UntypedServiceImplementation = {};
  for (const [method, { requestStream, responseStream }] of Object.entries(definition)) {
    const handler = implementation[method];
    if (handler) {
      complete[method] = wrap(method, handler);
      continue;
    }
    const refusal = (): Error => unimplemented(message(method));
    const stream: handleBidiStreamingCall<unknown, unknown> = (call) =>
      call.emit("error", asServiceError(refusal()));
    complete[method] =
      requestStream || responseStream
        ? stream
        : unary(() => {
            throw refusal();
          });
  }
  return complete;
}

import type { handleBidiStreamingCall, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import { asServiceError, unary, unimplemented } from "@scan-ingest/emulator-shared/status";
import { refusingFields } from "./refusals.ts";

/**
 * The implementation with every method it lacks answering UNIMPLEMENTED naming the method, so that no
 * request of a service the emulator serves goes unanswered or half-answered, and every method it has
 * refusing the request fields it does not implement (src/refusals.ts).
 */
export function withRefusals(
  service: string,
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
): UntypedServiceImplementation {
  const complete: UntypedServiceImplementation = {};
  for (const [method, { requestStream, responseStream }] of Object.entries(definition)) {
    const handler = implementation[method];
    if (handler) {
      complete[method] = refusingFields(method, handler);
      continue;
    }
    const refusal = (): Error =>
      unimplemented(`The embedded Pub/Sub emulator does not implement ${service}/${method}.`);
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

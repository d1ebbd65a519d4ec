import { Metadata, type ServerWritableStream, type UntypedHandleCall } from "@grpc/grpc-js";
import { asServiceError, unavailable } from "@scan-ingest/emulator-shared/status";
import { chance, type FirestoreFaults } from "./faults.ts";
import type { FirestoreCounters } from "./counters.ts";
import { refuseUnimplemented } from "./refusals.ts";

/** What every RPC goes through first: counting, then the injected UNAVAILABLE fault. */
export interface Gate {
  counters: FirestoreCounters;
  faults: FirestoreFaults;
}

/** Counts an RPC and injects the UNAVAILABLE fault; every handler calls it first. */
export function enter(gate: Gate, method: string): void {
  gate.counters.rpcs[method] = (gate.counters.rpcs[method] ?? 0) + 1;
  if (chance(gate.faults.unavailableRate)) {
    gate.faults.injected.unavailable++;
    throw unavailable(`Injected fault: ${method} is unavailable.`);
  }
}

/** `handle` behind the gate: the RPC counted, the injected fault maybe thrown, its refused fields refused. */
export function gated<Request, Response>(
  gate: Gate,
  method: string,
  handle: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    enter(gate, method);
    refuseUnimplemented(method, request);
    return handle(request);
  };
}

/** A server-streaming handler from an async function returning every message to send. */
export function serverStream<Request, Response>(
  handle: (request: Request) => Promise<Response[]>,
): UntypedHandleCall {
  return (call: ServerWritableStream<Request, Response>) => {
    handle(call.request).then(
      (responses) => {
        for (const response of responses) call.write(response);
        call.end();
      },
      (error: unknown) => {
        // Headers first, then the status in trailers. A trailers-only error reaches google-gax's retry-request
        // before any 'response' event, which it takes for "no response" and resends twice (2 s, then 4 s),
        // whatever the code; after headers, gax has its response and the error goes straight to the SDK,
        // which retries only the codes it deems transient.
        call.sendMetadata(new Metadata());
        call.emit("error", asServiceError(error));
      },
    );
  };
}

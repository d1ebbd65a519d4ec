import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from "@grpc/grpc-js";
import { firestoreService } from "../src/protos.ts";

/** A bidirectional call: requests written as objects, responses read as "data" events. */
interface Duplex {
  write(request: unknown): boolean;
  end(): void;
  on(event: string, listener: (value: unknown) => void): Duplex;
}

type Unary = (request: unknown, callback: (error: ServiceError | null, response: unknown) => void) => void;

/** A bare gRPC client without the SDK's retries, for tests that must see one RPC's own outcome. */
export function rawClient(host: string) {
  const Constructor = makeGenericClientConstructor(firestoreService, "Firestore");
  const client = new Constructor(host, credentials.createInsecure()) as Client & Record<string, Unary>;
  return {
    /** Calls a unary method; resolves to its response or rejects with its ServiceError. */
    call<T = Record<string, unknown>>(method: string, request: unknown): Promise<T> {
      return new Promise((resolve, reject) => {
        const unary = client[method] as Unary;
        unary.call(client, request, (error, response) => (error ? reject(error) : resolve(response as T)));
      });
    },
    /** Calls a server-streaming method; resolves to every message or rejects with its ServiceError. */
    stream<T = Record<string, unknown>>(method: string, request: unknown): Promise<T[]> {
      return new Promise((resolve, reject) => {
        const open = client[method] as unknown as (request: unknown) => NodeJS.EventEmitter;
        const messages: T[] = [];
        open
          .call(client, request)
          .on("data", (message: T) => messages.push(message))
          .on("error", reject)
          .on("end", () => resolve(messages));
      });
    },
    /** Opens a bidirectional stream (Listen): write requests, read "data" events. */
    duplex(method: string): Duplex {
      const open = client[method] as unknown as () => Duplex;
      return open.call(client).on("error", () => undefined);
    },
    close: () => client.close(),
  };
}

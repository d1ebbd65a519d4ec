import { Server, ServerCredentials } from "@grpc/grpc-js";
import { Broker } from "./broker.ts";
import { createCounters, type PubSubCounters } from "./counters.ts";
import { createFaults, type PubSubFaults } from "./faults.ts";
import { publisherService, schemaService, subscriberService } from "./protos.ts";
import { publisherImplementation } from "./publisher.ts";
import { pullImplementation } from "./pull.ts";
import { schemaImplementation } from "./schemas.ts";
import { snapshotImplementation } from "./snapshot-service.ts";
import { subscriptionAdministration } from "./subscriptions.ts";
import { withRefusals } from "./refusals.ts";
import type { EmbeddedEmulator, EmbeddedEmulatorOptions } from "@scan-ingest/emulator-shared/emulator";

export type { PubSubCounters } from "./counters.ts";
export type { PubSubFaults } from "./faults.ts";

/** Push requests in flight per subscription, unless the options say otherwise. */
export const DEFAULT_PUSH_CONCURRENCY = 64;

export interface PubSubEmulatorOptions extends EmbeddedEmulatorOptions {
  /** Push requests in flight per subscription; default DEFAULT_PUSH_CONCURRENCY. */
  pushConcurrency?: number;
}

export type PubSubEmulator = EmbeddedEmulator<PubSubCounters, PubSubFaults>;

/** Starts the embedded Pub/Sub emulator: Publisher and Subscriber over gRPC, push delivery over HTTP. */
export async function start(options: PubSubEmulatorOptions = {}): Promise<PubSubEmulator> {
  const hostname = options.host ?? "127.0.0.1";
  const faults = createFaults();
  const counters = createCounters((subscription) => broker.outstanding(subscription));
  const broker = new Broker(counters);
  const server = new Server({ "grpc.max_receive_message_length": 20 * 1024 * 1024 });
  server.addService(
    publisherService,
    withRefusals("google.pubsub.v1.Publisher", publisherService, publisherImplementation(broker)),
  );
  server.addService(
    subscriberService,
    withRefusals("google.pubsub.v1.Subscriber", subscriberService, {
      ...subscriptionAdministration(broker, faults, options.pushConcurrency ?? DEFAULT_PUSH_CONCURRENCY),
      ...pullImplementation(broker, faults),
      ...snapshotImplementation(broker),
    }),
  );
  server.addService(
    schemaService,
    withRefusals("google.pubsub.v1.SchemaService", schemaService, schemaImplementation(broker)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${hostname}:${options.port ?? 0}`,
      ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  return {
    host: `${hostname}:${port}`,
    port,
    counters,
    faults,
    async stop() {
      server.forceShutdown(); // open streaming pulls would hold a graceful shutdown forever
      broker.close();
    },
  };
}

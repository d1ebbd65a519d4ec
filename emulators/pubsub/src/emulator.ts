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

export type { PubSubCounters } from "./counters.ts";
export type { PubSubFaults } from "./faults.ts";

export interface PubSubEmulatorOptions {
  /** 0 or absent: a free port chosen by the OS. */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** Push requests in flight per subscription; default 64. */
  pushConcurrency?: number;
}

export interface PubSubEmulator {
  /** "127.0.0.1:PORT", the value for PUBSUB_EMULATOR_HOST. */
  host: string;
  port: number;
  counters: PubSubCounters;
  /** Mutable at run time. */
  faults: PubSubFaults;
  stop(): Promise<void>;
}

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
      ...subscriptionAdministration(broker, faults, options.pushConcurrency ?? 64),
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

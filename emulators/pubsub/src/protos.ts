import { createRequire } from "node:module";
import type * as Protobuf from "protobufjs";
import { protoRoot, serviceDefinition } from "@scan-ingest/emulator-shared/service-definitions";

// The client ships its protos as one JSON bundle that already holds every imported Google type.
const require = createRequire(import.meta.url);
const root = protoRoot(require("@google-cloud/pubsub/build/protos/protos.json") as Protobuf.INamespace);

const conversion: Protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** The gRPC service definitions of google.pubsub.v1, from the client's own protos. */
export const publisherService = serviceDefinition(root, "google.pubsub.v1.Publisher", conversion);
export const subscriberService = serviceDefinition(root, "google.pubsub.v1.Subscriber", conversion);
export const schemaService = serviceDefinition(root, "google.pubsub.v1.SchemaService", conversion);

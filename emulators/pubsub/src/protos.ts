import { createRequire } from "node:module";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

// The client ships its protos as one JSON bundle that already holds every imported Google type.
const require = createRequire(import.meta.url);
const bundle: unknown = require("@google-cloud/pubsub/build/protos/protos.json");

const definition = protoLoader.fromJSON(bundle as Parameters<typeof protoLoader.fromJSON>[0], {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

interface PubSubPackage {
  google: {
    pubsub: { v1: { Publisher: grpc.ServiceClientConstructor; Subscriber: grpc.ServiceClientConstructor } };
  };
}

const loaded = grpc.loadPackageDefinition(definition) as unknown as PubSubPackage;

/** The gRPC service definitions of google.pubsub.v1, from the client's own protos. */
export const publisherService = loaded.google.pubsub.v1.Publisher.service;
export const subscriberService = loaded.google.pubsub.v1.Subscriber.service;

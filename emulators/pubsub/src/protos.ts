import { createRequire } from "node:module";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import type * as Protobuf from "protobufjs";

// The client ships its protos as one JSON bundle that already holds every imported Google type.
const require = createRequire(import.meta.url);
const bundle: Protobuf.INamespace = require("@google-cloud/pubsub/build/protos/protos.json");

// The protobufjs that @grpc/proto-loader itself uses. proto-loader's fromJSON also builds descriptors
// for every type in the bundle (reflection needs them, a server does not): most of each start.
const protobuf: typeof Protobuf = createRequire(require.resolve("@grpc/proto-loader"))("protobufjs/light");

const conversion: Protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

// The well-known types messages can use. google.api and the rest of google.protobuf (descriptor.proto)
// only describe options a server never reads, and building their reflection was a fifth of the start.
const wellKnownTypes = new Set(
  "Any Duration Empty FieldMask Struct Value ListValue NullValue Timestamp DoubleValue FloatValue Int64Value UInt64Value Int32Value UInt32Value BoolValue StringValue BytesValue".split(
    " ",
  ),
);

/** The bundle without google.api and without the option types of google.protobuf. */
function withoutOptionTypes(bundle: Protobuf.INamespace): Protobuf.INamespace {
  const google = bundle.nested!.google as Protobuf.INamespace;
  const { api: _options, protobuf, ...packages } = google.nested!;
  const types = Object.entries((protobuf as Protobuf.INamespace).nested!).filter(([name]) =>
    wellKnownTypes.has(name),
  );
  const nested = { ...packages, protobuf: { ...protobuf, nested: Object.fromEntries(types) } };
  return { ...bundle, nested: { ...bundle.nested, google: { ...google, nested } } };
}

/** The grpc-js definition of one service, with the codecs @grpc/proto-loader would give it. */
function serviceDefinition(root: Protobuf.Root, name: string): ServiceDefinition {
  const service = root.lookupService(name);
  const codec = (type: Protobuf.Type) => ({
    serialize: (value: object) => Buffer.from(type.encode(type.fromObject(value)).finish()),
    deserialize: (bytes: Buffer) => type.toObject(type.decode(bytes), conversion),
  });
  const definition: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = codec(method.resolvedRequestType!);
    const response = codec(method.resolvedResponseType!);
    definition[method.name] = {
      path: `/${name}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: request.serialize,
      requestDeserialize: request.deserialize,
      responseSerialize: response.serialize,
      responseDeserialize: response.deserialize,
      originalName: protobuf.util.camelCase(method.name),
    };
  }
  return definition;
}

const root = protobuf.Root.fromJSON(withoutOptionTypes(bundle));

/** The gRPC service definitions of google.pubsub.v1, from the client's own protos. */
export const publisherService = serviceDefinition(root, "google.pubsub.v1.Publisher");
export const subscriberService = serviceDefinition(root, "google.pubsub.v1.Subscriber");

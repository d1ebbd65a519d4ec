// gRPC service definitions straight from a client library's JSON proto bundle, for both embedded emulators.
import { createRequire } from "node:module";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import type * as Protobuf from "protobufjs";

// The protobufjs that @grpc/proto-loader itself uses. proto-loader's fromJSON also builds descriptors for
// every type in the bundle (reflection needs them, a server does not): most of an emulator's start.
const require = createRequire(import.meta.url);
const protobuf: typeof Protobuf = createRequire(require.resolve("@grpc/proto-loader"))("protobufjs/light");

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

/** The types and services of a client library's JSON proto bundle, without the option-only protos. */
export function protoRoot(bundle: Protobuf.INamespace): Protobuf.Root {
  return protobuf.Root.fromJSON(withoutOptionTypes(bundle));
}

/** The grpc-js definition of one service (fully qualified name), with the codecs @grpc/proto-loader would give it. */
export function serviceDefinition(
  root: Protobuf.Root,
  name: string,
  conversion: Protobuf.IConversionOptions,
): ServiceDefinition {
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

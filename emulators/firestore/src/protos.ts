import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type * as Protobuf from "protobufjs";
import { protoRoot, serviceDefinition } from "@scan-ingest/emulator-shared/service-definitions";

// The SDK ships google.firestore.v1 and every type it imports as one JSON bundle (not in its exports map).
const require = createRequire(import.meta.url);
const sdkRoot = path.dirname(require.resolve("@google-cloud/firestore/package.json"));
const bundle: Protobuf.INamespace = JSON.parse(
  readFileSync(path.join(sdkRoot, "build/protos/v1.json"), "utf8"),
);

/** The gRPC service definition of google.firestore.v1.Firestore, from the SDK's own protos. */
export const firestoreService = serviceDefinition(protoRoot(bundle), "google.firestore.v1.Firestore", {
  longs: String, // int64 stays exact; values.ts compares integers as BigInt
  enums: String,
  defaults: false, // an absent field stays absent, so presence (exists, mask, oneofs) is visible
  oneofs: true,
});

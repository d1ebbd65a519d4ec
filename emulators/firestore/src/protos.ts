import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

// The SDK ships google.firestore.v1 and every type it imports as one JSON bundle (not in its exports map).
const sdkRoot = path.dirname(createRequire(import.meta.url).resolve("@google-cloud/firestore/package.json"));
const bundle: unknown = JSON.parse(readFileSync(path.join(sdkRoot, "build/protos/v1.json"), "utf8"));

const definition = protoLoader.fromJSON(bundle as Parameters<typeof protoLoader.fromJSON>[0], {
  keepCase: false,
  longs: String, // int64 stays exact; values.ts compares integers as BigInt
  enums: String,
  defaults: false, // an absent field stays absent, so presence (exists, mask, oneofs) is visible
  oneofs: true,
});

interface FirestorePackage {
  google: { firestore: { v1: { Firestore: grpc.ServiceClientConstructor } } };
}

const loaded = grpc.loadPackageDefinition(definition) as unknown as FirestorePackage;

/** The gRPC service definition of google.firestore.v1.Firestore, from the SDK's own protos. */
export const firestoreService = loaded.google.firestore.v1.Firestore.service;

// The Firestore and Pub/Sub clients the project's tools (CLIs, test harnesses, benchmarks) open on an
// emulator, the embedded ones or Google's, with the same settings everywhere and the reason for each here.
// Product code (functions/src/store.ts, scanner/src/publish.ts) builds its own: it must not depend on this
// package. Bundled by cli/topology-init (the Dockerfile's scanner build copies this file): imports nothing of
// the project.
import { Firestore } from "@google-cloud/firestore";
import { PubSub } from "@google-cloud/pubsub";

export interface EmulatorClientOptions {
  /** host:port of the emulator. */
  host: string;
  /** Absent: the client finds it as it would in production (GOOGLE_CLOUD_PROJECT, ADC, ...). */
  projectId?: string;
}

/**
 * Named, so the auth library does not look it up: before a client's first call google-gax checks the
 * configured universe domain against the credentials', and with none configured google-auth-library searches
 * for Application Default Credentials and probes for a GCE metadata server (half a second and a
 * MetadataLookupWarning off Google Cloud) only to arrive at this same default. Setting it spares that probe
 * without METADATA_SERVER_DETECTION=none in the environment. An emulator sees no credentials either way.
 */
const UNIVERSE_DOMAIN = "googleapis.com";

/**
 * A Firestore client for the emulator at `host`; the caller terminates it. FIRESTORE_EMULATOR_HOST in this
 * process's environment wins over `host`: that is the SDK's own rule, and a tool run with it set means it.
 */
export function emulatorFirestore({ host, projectId }: EmulatorClientOptions): Firestore {
  return new Firestore({
    ...(projectId !== undefined && { projectId }),
    host,
    // Emulators speak plaintext gRPC; this also leaves credentials out.
    ssl: false,
    // Google's Firestore emulator treats the token "owner" as an admin that security rules do not apply to, as
    // the server SDKs are in production: without it, firestore.rules (deny all) refuses the tool. The
    // embedded emulator evaluates no rules and ignores it. The client adds the same header by itself when
    // ssl is false (@google-cloud/firestore's initializeIfNeeded); named here so no tool depends on that.
    customHeaders: { Authorization: "Bearer owner" },
    universeDomain: UNIVERSE_DOMAIN,
  });
}

/** A Pub/Sub client for the emulator at `host`; the caller closes it. */
export function emulatorPubSub({ host, projectId }: EmulatorClientOptions): PubSub {
  return new PubSub({
    ...(projectId !== undefined && { projectId }),
    apiEndpoint: host,
    // Plaintext gRPC and no credentials. Needed although the endpoint is no *.googleapis.com host: once a
    // universe domain is named, the client takes any endpoint for Google's own and would speak TLS to it.
    emulatorMode: true,
    universeDomain: UNIVERSE_DOMAIN,
  });
}

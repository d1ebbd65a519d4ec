// Configuration (docs/contract.md §6): the only reader of process.env, validated once at start.
// zod/mini: the same schemas as zod's full API at a twentieth of its size, which every cold start loads.
import * as z from "zod/mini";
import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";

const integerAtLeast = (minimum: 0 | 1, maximum = Number.MAX_SAFE_INTEGER) =>
  z
    .pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number))
    .check(z.refine((value) => Number.isSafeInteger(value) && value >= minimum && value <= maximum));

// Firestore refuses a document over 1 MiB (1,048,576 bytes). A service document holds the response twice at
// worst (the text and, when it is not UTF-8, the bytes), each at most MAX_RESPONSE_BYTES, plus small fields;
// a reject holds the data once plus at most 100 attributes of 256 + 1024 bytes (Pub/Sub's limits).
export const MAX_RESPONSE_BYTES_LIMIT = 491_520;
export const MAX_REJECT_BYTES_LIMIT = 901_120;
// The history map (docs/contract.md §3) takes about 120 bytes an entry beside the response's two copies.
export const HISTORY_MAX_ENTRIES_LIMIT = 400;
const collectionName = z.string().check(z.regex(/^(?!__.*__$)(?!\.\.?$)[^/]{1,1500}$/));
const host = z.string().check(z.regex(/^[^\s/]+:\d{1,5}$/));
// Google's project ids (lowercase letters, digits, hyphens), optionally domain-scoped ("example.com:id"):
// anything else, such as a space or a slash, would break every Firestore resource name.
const projectId = z.string().check(z.regex(/^(?:[a-z0-9.-]+:)?[a-z0-9][a-z0-9-]{0,99}$/));

const rules = {
  GOOGLE_CLOUD_PROJECT: [projectId, "a project id (lowercase letters, digits and hyphens)"],
  GCLOUD_PROJECT: [projectId, "a project id (lowercase letters, digits and hyphens)"],
  FIRESTORE_EMULATOR_HOST: [host, "host:port"],
  PUBSUB_EMULATOR_HOST: [host, "host:port"],
  SERVICES_COLLECTION: [collectionName, "a Firestore collection id"],
  REJECTS_COLLECTION: [collectionName, "a Firestore collection id"],
  MAX_RESPONSE_BYTES: [
    integerAtLeast(1, MAX_RESPONSE_BYTES_LIMIT),
    `a positive integer of at most ${MAX_RESPONSE_BYTES_LIMIT} (two copies must fit Firestore's 1 MiB document)`,
  ],
  MAX_REJECT_BYTES: [
    integerAtLeast(1, MAX_REJECT_BYTES_LIMIT),
    `a positive integer of at most ${MAX_REJECT_BYTES_LIMIT} (with 100 attributes it must fit Firestore's 1 MiB document)`,
  ],
  MAX_CLOCK_SKEW_SECONDS: [integerAtLeast(0), "a non-negative integer"],
  STORE_DEADLINE_MS: [integerAtLeast(1, 3_600_000), "a whole number of milliseconds from 1 to 3600000"],
  SERVICE_TTL_DAYS: [integerAtLeast(1, 36_500), "a whole number of days from 1 to 36500"],
  HISTORY_MAX_ENTRIES: [
    integerAtLeast(1, HISTORY_MAX_ENTRIES_LIMIT),
    `a positive integer of at most ${HISTORY_MAX_ENTRIES_LIMIT} (the map must fit beside the response in 1 MiB)`,
  ],
} as const;

export interface Config {
  /** Undefined when not set and no emulator is used: the client then finds it from the environment. */
  projectId: string | undefined;
  firestoreEmulatorHost: string | undefined;
  pubsubEmulatorHost: string | undefined;
  servicesCollection: string;
  rejectsCollection: string;
  maxResponseBytes: number;
  maxRejectBytes: number;
  maxClockSkewSeconds: number;
  /** How long one store call may take before the message is left to Pub/Sub's redelivery. */
  storeDeadlineMs: number;
  /** Distinct responses kept per service (docs/contract.md §3). */
  historyMaxEntries: number;
  /** Days a service and its history are kept after their last scan; undefined: forever (§3, expiry). */
  serviceTtlDays: number | undefined;
}

/** The Firestore collections when SERVICES_COLLECTION and REJECTS_COLLECTION are unset. */
export const DEFAULT_COLLECTIONS = { services: "services", rejects: "rejects" } as const;

/** Parse the environment; a variable that is set but invalid throws an Error naming it. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const value = <Name extends keyof typeof rules>(name: Name) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const [schema, expected] = rules[name];
    const result = schema.safeParse(raw);
    if (!result.success) throw new Error(`${name} must be ${expected}, got ${JSON.stringify(raw)}`);
    return result.data as z.output<(typeof rules)[Name][0]>;
  };
  const firestoreEmulatorHost = value("FIRESTORE_EMULATOR_HOST");
  // Both read, so an invalid GCLOUD_PROJECT is refused even when GOOGLE_CLOUD_PROJECT takes precedence.
  const googleCloudProject = value("GOOGLE_CLOUD_PROJECT");
  const gcloudProject = value("GCLOUD_PROJECT");
  const project = googleCloudProject ?? gcloudProject;
  return {
    // With an emulator and no project, the emulators' own default project.
    projectId: project ?? (firestoreEmulatorHost ? DEFAULT_PROJECT : undefined),
    firestoreEmulatorHost,
    pubsubEmulatorHost: value("PUBSUB_EMULATOR_HOST"),
    servicesCollection: value("SERVICES_COLLECTION") ?? DEFAULT_COLLECTIONS.services,
    rejectsCollection: value("REJECTS_COLLECTION") ?? DEFAULT_COLLECTIONS.rejects,
    maxResponseBytes: value("MAX_RESPONSE_BYTES") ?? 262144,
    maxRejectBytes: value("MAX_REJECT_BYTES") ?? 524288,
    maxClockSkewSeconds: value("MAX_CLOCK_SKEW_SECONDS") ?? 3600,
    // Below the 60 s timeout of deploy.json: the SDK alone retries UNAVAILABLE for minutes.
    storeDeadlineMs: value("STORE_DEADLINE_MS") ?? 50_000,
    historyMaxEntries: value("HISTORY_MAX_ENTRIES") ?? 50,
    serviceTtlDays: value("SERVICE_TTL_DAYS"),
  };
}

/** The configuration of this instance, read from process.env. */
export function loadConfig(): Config {
  return parseConfig(process.env);
}

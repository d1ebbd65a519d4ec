// Configuration (docs/contract.md §6): the only reader of process.env, validated once at start.
// zod/mini: the same schemas as zod's full API at a twentieth of its size, which every cold start loads.
import * as z from "zod/mini";

const integerAtLeast = (minimum: 0 | 1) =>
  z
    .pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number))
    .check(z.refine((value) => Number.isSafeInteger(value) && value >= minimum));
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
  MAX_RESPONSE_BYTES: [integerAtLeast(1), "a positive integer"],
  MAX_REJECT_BYTES: [integerAtLeast(1), "a positive integer"],
  MAX_CLOCK_SKEW_SECONDS: [integerAtLeast(0), "a non-negative integer"],
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
}

/** Project id used with an emulator when none is set. */
export const emulatorProjectId = "demo-scan";

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
    projectId: project ?? (firestoreEmulatorHost ? emulatorProjectId : undefined),
    firestoreEmulatorHost,
    pubsubEmulatorHost: value("PUBSUB_EMULATOR_HOST"),
    servicesCollection: value("SERVICES_COLLECTION") ?? "services",
    rejectsCollection: value("REJECTS_COLLECTION") ?? "rejects",
    maxResponseBytes: value("MAX_RESPONSE_BYTES") ?? 262144,
    maxRejectBytes: value("MAX_REJECT_BYTES") ?? 524288,
    maxClockSkewSeconds: value("MAX_CLOCK_SKEW_SECONDS") ?? 3600,
  };
}

/** The configuration of this instance, read from process.env. */
export function loadConfig(): Config {
  return parseConfig(process.env);
}

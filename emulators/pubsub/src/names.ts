import { invalidArgument } from "@scan-ingest/emulator-shared/status";

/** A parsed resource name: projects/{project}/{kind}/{id}. */
export interface ResourceName {
  name: string;
  project: string;
  id: string;
}

export type ResourceKind = "topics" | "subscriptions" | "snapshots" | "schemas";

/** The topic value Google shows on a subscription whose topic was deleted. */
export const DELETED_TOPIC = "_deleted-topic_";

// Google's rule for topic and subscription ids: a letter first, 3..255 characters, no "goog" prefix.
const ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

/** Parses and validates a topic, subscription, snapshot or schema name, or throws INVALID_ARGUMENT naming the field. */
export function parseName(kind: ResourceKind, name: string, field: string): ResourceName {
  const parts = name.split("/");
  const [prefix, project, collection, id] = parts;
  if (parts.length !== 4 || prefix !== "projects" || !project || collection !== kind || id === undefined) {
    throw invalidArgument(`Invalid ${field} "${name}": expected projects/{project}/${kind}/{id}.`);
  }
  if (!ID.test(id) || id.toLowerCase().startsWith("goog")) {
    throw invalidArgument(
      `Invalid ${field} id "${id}": it must start with a letter, be 3 to 255 characters of letters, digits, ` +
        `- _ . ~ + %, and not start with "goog".`,
    );
  }
  return { name, project, id };
}

/** Validates a project resource name ("projects/{project}") and returns the project id. */
export function parseProject(name: string): string {
  const match = /^projects\/([^/]+)$/.exec(name);
  if (!match?.[1]) throw invalidArgument(`Invalid project "${name}": expected projects/{project}.`);
  return match[1];
}

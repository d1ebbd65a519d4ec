// scansApi's own configuration, beside docs/contract.md §6's: the page-token secret.
import type { Config } from "../config.ts";

/** What only the API reads. */
export interface ApiConfig {
  /** HMAC key of page tokens; every instance of a deployment must share it. */
  pageTokenSecret: string;
}

/**
 * PAGE_TOKEN_SECRET (at least 16 characters) when set. Unset, a key derived from the project and the
 * collections: every instance agrees and a token of another deployment is still refused, but anyone who
 * knows those names could sign a cursor; docs/read-api.md says when that matters.
 */
export function loadApiConfig(env: Record<string, string | undefined>, config: Config): ApiConfig {
  const secret = env.PAGE_TOKEN_SECRET;
  if (secret !== undefined && secret !== "") {
    if (secret.length < 16) throw new Error("PAGE_TOKEN_SECRET must be at least 16 characters, got fewer");
    return { pageTokenSecret: secret };
  }
  return {
    pageTokenSecret: `scansApi:${config.projectId ?? ""}:${config.servicesCollection}:${config.rejectsCollection}`,
  };
}

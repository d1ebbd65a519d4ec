// The read API as the page sees it: same origin (the console server forwards /v1/* to scansApi), every error
// an RFC 9457 problem whose detail the page shows as it is. Its types are the API's own schemas', inferred.
import type * as z from "zod";
import type {
  historyEntrySchema,
  rejectSchema,
  serviceSchema,
  statsSchema,
} from "@scan-ingest/functions/api/responses";

/** `services/{key}` as the read API returns it (docs/contract.md §3). */
export type Service = z.infer<typeof serviceSchema>;

/** One distinct response of a service, from its history (docs/contract.md §3, history). */
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** `rejects/{id}` as the read API returns it (docs/contract.md §4). */
export type Reject = z.infer<typeof rejectSchema>;

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export type Stats = z.infer<typeof statsSchema>;

/** An error the page shows: the API's problem, or what went wrong reaching it. */
export class Problem extends Error {
  override name = "Problem";
  readonly status: number;
  readonly title: string;
  readonly parameter: string | undefined;
  constructor(status: number, title: string, detail: string, parameter?: string) {
    super(detail);
    this.status = status;
    this.title = title;
    this.parameter = parameter;
  }
}

/** GETs a read-API path; resolves with the JSON body or rejects with a Problem. */
export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { accept: "application/json" }, ...(signal && { signal }) });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new Problem(
      0,
      "Console server unreachable",
      `${(error as Error).message}; is npm start still running?`,
    );
  }
  const type = response.headers.get("content-type") ?? "";
  const body: unknown = type.includes("json") ? await response.json().catch(() => undefined) : undefined;
  if (response.ok && body !== undefined) return body as T;
  const problem = (body ?? {}) as { title?: string; detail?: string; parameter?: string };
  throw new Problem(
    response.status,
    problem.title ?? `HTTP ${response.status}`,
    problem.detail ?? `${path} answered ${response.status} ${response.statusText} without a problem document`,
    problem.parameter,
  );
}

/** A query string of the non-empty entries, in the order given. */
export function query(entries: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(entries)) if (value) search.set(name, value);
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/** The path of one service, each part escaped (an IPv6 address has colons, a service may have anything). */
export function servicePath(service: Pick<Service, "ip" | "port" | "service">): string {
  return `/services/${encodeURIComponent(service.ip)}/${service.port}/${encodeURIComponent(service.service)}`;
}

// The read API as the page sees it: same origin (the console server forwards /v1/* to scansApi), every error
// an RFC 9457 problem whose detail the page shows as it is.

/** `services/{key}` as the read API returns it (docs/contract.md §3). */
export interface Service {
  key: string;
  ip: string;
  port: number;
  service: string;
  response: string;
  /** Base64 of the exact bytes, only when a version 1 response is not valid UTF-8. */
  responseBytes?: string;
  responseSize: number;
  responseSha256: string;
  responseTruncated: boolean;
  scannedAt: string;
  dataVersion: 1 | 2;
  messageId: string;
  publishTime?: string;
  updatedAt?: string;
}

/** `rejects/{id}` as the read API returns it (docs/contract.md §4). */
export interface Reject {
  id: string;
  reason: string;
  detail: string;
  data?: string;
  dataBytes?: string;
  dataTruncated?: true;
  dataSize: number;
  dataSha256: string;
  attributes: Record<string, string>;
  messageId: string;
  publishTime?: string;
  rejectedAt?: string;
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export interface Stats {
  services: number;
  rejects: number;
  rejectsByReason: Record<string, number>;
}

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

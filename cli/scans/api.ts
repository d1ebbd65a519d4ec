// `scans --api URL`: the same reads through scansApi's HTTP interface instead of the Firestore SDK.
import type { Stored } from "@scan-ingest/functions/api/read";
import type { IdField } from "@scan-ingest/functions/api/json";
import type { ScansRequest } from "./args.ts";

/** The API's largest page; longer --limit values read several pages. */
const API_PAGE = 1000;

/** Takes `--api URL` (or `--api=URL`) out of the arguments: the rest, and the URL when given. */
export function extractApiFlag(argv: readonly string[]): { argv: string[]; api: string | undefined } {
  const rest: string[] = [];
  let api: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === "--api") api = argv[++index] ?? "";
    else if (argument.startsWith("--api=")) api = argument.slice("--api=".length);
    else rest.push(argument);
  }
  if (api !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(api))
    throw new Error(`--api: "${api}" is not an http(s) URL such as http://127.0.0.1:8089`);
  return { argv: rest, api: api?.replace(/\/$/, "") };
}

/** Reads what the request asks for through the API at `base`; undefined (get) or [] when nothing matches. */
export async function readThroughApi(
  base: string,
  request: Exclude<ScansRequest, { command: "help" }>,
): Promise<Stored[]> {
  if (request.command === "get") {
    const body = await call(`${base}/v1/services/${pathOf(request.key)}`, true);
    return body === undefined ? [] : [stored(body as Record<string, unknown>, "key")];
  }
  const query = new URLSearchParams();
  if (request.command === "history") {
    const found: Stored[] = [];
    let token: string | undefined;
    do {
      query.set("limit", String(Math.min(API_PAGE, request.limit - found.length)));
      if (token !== undefined) query.set("pageToken", token);
      const page = (await call(`${base}/v1/services/${pathOf(request.key)}/history?${query}`, true)) as
        { items: Record<string, unknown>[]; nextPageToken?: string } | undefined;
      if (page === undefined) return [];
      found.push(...page.items.map((item) => stored(item, "responseSha256")));
      token = page.nextPageToken;
    } while (token !== undefined && found.length < request.limit);
    return found;
  }
  const idField = request.command === "list" ? "key" : "id";
  if (request.command === "list") {
    if (request.ip !== undefined) query.set("ip", request.ip);
    if (request.port !== undefined) query.set("port", String(request.port));
    if (request.service !== undefined) query.set("service", request.service);
    if (request.since !== undefined) query.set("since", request.since.toISOString());
  } else if (request.reason !== undefined) query.set("reason", request.reason);
  const found: Stored[] = [];
  let token: string | undefined;
  do {
    query.set("limit", String(Math.min(API_PAGE, request.limit - found.length)));
    if (token !== undefined) query.set("pageToken", token);
    const collection = request.command === "list" ? "services" : "rejects";
    const page = (await call(`${base}/v1/${collection}?${query}`, false)) as {
      items: Record<string, unknown>[];
      nextPageToken?: string;
    };
    found.push(...page.items.map((item) => stored(item, idField)));
    token = page.nextPageToken;
  } while (token !== undefined && found.length < request.limit);
  return found;
}

/** The API path of a key: ip:port:SERVICE, an IPv6 ip in brackets, as /{ip}/{port}/{service}. */
function pathOf(key: string): string {
  const match = /^\[?(.+?)\]?:(\d+):([^:]+)$/.exec(key)!;
  return match.slice(1, 4).map(encodeURIComponent).join("/");
}

function stored(item: Record<string, unknown>, idField: IdField): Stored {
  const { [idField]: id, ...data } = item;
  return { id: String(id), data };
}

/** GET as JSON; a 404 is undefined when `missingIsEmpty`, any other error throws the problem's detail. */
async function call(url: string, missingIsEmpty: boolean): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (response.status === 404 && missingIsEmpty) return undefined;
  const body = (await response.json().catch(() => ({}))) as { detail?: string };
  if (!response.ok)
    throw new Error(`the API at ${url} answered ${response.status}: ${body.detail ?? "no detail"}`);
  return body;
}

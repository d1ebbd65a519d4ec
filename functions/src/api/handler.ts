// scansApi's request handling: routing, parameters, reads, JSON and problem responses. No Firestore here
// (read.ts), and nothing of the ingest handler: the API only shares the canonical forms (key.ts, scan.ts).
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { documentKey } from "../key.ts";
import type { Asset } from "./docs.ts";
import { jsonDocument, type IdField } from "./json.ts";
import { parseParameters, queryParameters } from "./params.ts";
import { ProblemError, badParameter, toProblem } from "./problem.ts";
import type { Page, Reader } from "./read.ts";
import { defaultLimit, historyQuery, rejectsQuery, servicePath, servicesQuery } from "./schemas.ts";
import type { Cursor, PageTokens } from "./token.ts";

export interface ApiDependencies {
  reader: () => Reader;
  tokens: PageTokens;
  openApi: () => unknown;
  docs: () => Map<string, Asset>;
  /** One line per failed read (never per request). */
  logError: (message: string, error: unknown) => void;
  now?: () => number;
}

/** How long a single service may be reused before revalidating with its ETag (private: callers authenticate). */
export const serviceCacheControl = "private, max-age=5";
/** Firestore serves reads at a past time for one hour: a listing's later pages must come before that. */
export const tokenLifetimeMs = 55 * 60 * 1000;

const allow = ["GET", "HEAD"] as const;
type Reply = { status: number; body: Buffer; type: string; headers?: Record<string, string> };

const jsonReply = (value: unknown, headers?: Record<string, string>): Reply => ({
  status: 200,
  body: Buffer.from(JSON.stringify(value)),
  type: "application/json",
  ...(headers && { headers }),
});

/** The http function: GET and HEAD on /v1/..., /docs; RFC 9457 problems for everything refused. */
export function createScansApi(dependencies: ApiDependencies) {
  const now = dependencies.now ?? Date.now;
  let openApiBody: Buffer | undefined;

  /**
   * The path's segments, percent-decoded; a malformed escape is a 400 naming path. Under functions-framework
   * its router refuses such a path first, with its own HTML 400 (docs/read-api.md).
   */
  function segments(path: string): string[] {
    try {
      return path.split("/").slice(1).map(decodeURIComponent);
    } catch {
      throw badParameter("path", "valid percent-encoded UTF-8", path);
    }
  }

  function cursorOf(listing: string, token: string | undefined): Cursor | undefined {
    if (token === undefined) return undefined;
    const cursor = dependencies.tokens.verify(listing, token);
    const issuedMs = cursor.readTime[0] * 1000;
    if (now() - issuedMs > tokenLifetimeMs)
      throw badParameter("pageToken", "less than 55 minutes old (start the listing again without it)");
    return cursor;
  }

  function pageReply(page: Page, idField: IdField, listing: string): Reply {
    return jsonReply(
      {
        items: page.items.map((item) => jsonDocument(idField, item.id, item.data)),
        ...(page.next && { nextPageToken: dependencies.tokens.issue(listing, page.next) }),
      },
      { "Cache-Control": "no-store" },
    );
  }

  async function route(request: IncomingMessage, parts: string[], search: string): Promise<Reply> {
    const [version, collection, ...rest] = parts;
    if (version === "docs" && rest.length === 0) {
      const asset = dependencies.docs().get(collection ?? "");
      if (asset)
        return {
          status: 200,
          body: asset.body,
          type: asset.type,
          headers: { "Cache-Control": "private, max-age=3600" },
        };
      throw new ProblemError(404, `no such file: ${JSON.stringify(`/docs/${collection}`)}`);
    }
    if (version !== "v1") throw notFound(request);
    if (collection === "services" && rest.length === 3) {
      const [ip, port, service] = rest as [string, string, string];
      queryParameters(search); // duplicates refused; any other query parameter too:
      if (search !== "")
        throw new ProblemError(400, "this path takes no query parameters", { parameter: "query" });
      const found = parseParameters(servicePath, { ip, port, service });
      const key = documentKey(found);
      const stored = await dependencies.reader().service(key);
      if (!stored) throw new ProblemError(404, `no scan stored for ${key}`);
      const body = Buffer.from(JSON.stringify(jsonDocument("key", stored.id, stored.data)));
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
      const headers = { ETag: etag, "Cache-Control": serviceCacheControl };
      if (matches(request.headers["if-none-match"], etag))
        return { status: 304, body: Buffer.alloc(0), type: "", headers };
      return { status: 200, body, type: "application/json", headers };
    }
    if (collection === "services" && rest.length === 4 && rest[3] === "history") {
      const [ip, port, service] = rest as [string, string, string];
      const { limit, pageToken } = parseParameters(historyQuery, queryParameters(search));
      const key = documentKey(parseParameters(servicePath, { ip, port, service }));
      const listing = JSON.stringify(["history", key]);
      const page = await dependencies
        .reader()
        .history(key, limit ?? defaultLimit, cursorOf(listing, pageToken));
      if (!page) throw new ProblemError(404, `no scan stored for ${key}`);
      return pageReply(page, "responseSha256", listing);
    }
    if (rest.length > 0) throw notFound(request);
    if (collection === "services") {
      const { limit, pageToken, ...filters } = parseParameters(servicesQuery, queryParameters(search));
      const listing = JSON.stringify([
        "services",
        filters.ip,
        filters.port,
        filters.service,
        filters.since?.toISOString(),
      ]);
      const page = await dependencies
        .reader()
        .services(filters, limit ?? defaultLimit, cursorOf(listing, pageToken));
      return pageReply(page, "key", listing);
    }
    if (collection === "rejects") {
      const { limit, pageToken, ...filters } = parseParameters(rejectsQuery, queryParameters(search));
      const listing = JSON.stringify(["rejects", filters.reason, filters.since?.toISOString()]);
      const page = await dependencies
        .reader()
        .rejects(filters, limit ?? defaultLimit, cursorOf(listing, pageToken));
      return pageReply(page, "id", listing);
    }
    if (collection === "stats") {
      parseParameters(rejectsQuery.pick({}), queryParameters(search));
      return jsonReply(await dependencies.reader().stats(), { "Cache-Control": "no-store" });
    }
    if (collection === "openapi.json") {
      openApiBody ??= Buffer.from(JSON.stringify(dependencies.openApi()));
      return {
        status: 200,
        body: openApiBody,
        type: "application/json",
        headers: { "Cache-Control": "private, max-age=300" },
      };
    }
    throw notFound(request);
  }

  return async function scansApi(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      const url = request.url ?? "/";
      const query = url.indexOf("?");
      const path = query < 0 ? url : url.slice(0, query);
      const parts = segments(path);
      if (request.method !== "GET" && request.method !== "HEAD") {
        // Only an existing path answers 405: route() would have answered 404 for the rest.
        if (!knownPath(parts)) throw notFound(request);
        throw new ProblemError(405, `${request.method} is not allowed here; use GET or HEAD`, { allow });
      }
      reply = await route(request, parts, query < 0 ? "" : url.slice(query + 1));
    } catch (error) {
      reply = problemReply(error, dependencies);
    }
    response.statusCode = reply.status;
    if (reply.type !== "") response.setHeader("Content-Type", reply.type);
    for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
    if (reply.status !== 304) response.setHeader("Content-Length", reply.body.length);
    response.end(request.method === "HEAD" || reply.status === 304 ? undefined : reply.body);
  };
}

function notFound(request: IncomingMessage): ProblemError {
  const path = (request.url ?? "").split("?")[0]!;
  return new ProblemError(
    404,
    `no such path: ${JSON.stringify(path.length > 100 ? `${path.slice(0, 100)}…` : path)}`,
  );
}

function knownPath(parts: string[]): boolean {
  const [version, collection, ...rest] = parts;
  if (version === "docs") return rest.length === 0;
  if (version !== "v1") return false;
  if (collection === "services") return rest.length === 0 || rest.length === 3;
  return rest.length === 0 && ["rejects", "stats", "openapi.json"].includes(collection ?? "");
}

/** True when If-None-Match names this ETag (or is `*`). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed === etag || trimmed === `W/${etag}`;
  });
}

function problemReply(error: unknown, dependencies: ApiDependencies): Reply {
  const refusal =
    error instanceof ProblemError
      ? error
      : new ProblemError(503, "Firestore did not answer this read; try again shortly");
  if (!(error instanceof ProblemError)) dependencies.logError("a read failed", error);
  return {
    status: refusal.status,
    body: Buffer.from(JSON.stringify(toProblem(refusal))),
    type: "application/problem+json",
    headers: {
      "Cache-Control": "no-store",
      ...(refusal.allow && { Allow: refusal.allow.join(", ") }),
    },
  };
}

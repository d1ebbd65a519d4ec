// The console's HTTP server: the bundled page (console/dist), the read API behind it on the same origin
// (/v1/*, /docs), and the pipeline feed as JSON (/pipeline.json) and server-sent events (/events).
// Read-only: GET and HEAD, nothing else.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import type { PipelineFeed } from "./feed.ts";

export { createPipelineFeed } from "./feed.ts";
export type { DeliveryEvent, PipelineFeed, PipelineSnapshot, PipelineSource, Counts } from "./feed.ts";
export { buildConsole, consoleDist } from "./build.ts";

export interface ConsoleOptions {
  /** 0: a free one. */
  port: number;
  /** Default 127.0.0.1: the console and the read API behind it are for this machine only. */
  host?: string;
  /** Base URL of the read API (scansApi), e.g. http://127.0.0.1:8089. */
  apiUrl: string;
  /** The live pipeline; absent: the Pipeline view says there is none. */
  feed?: PipelineFeed;
  /** The built page; default console/dist. */
  dist?: string;
}

export interface ConsoleServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** The page's own routes; everything else under / is a file of the bundle or 404. */
const APP_ROUTES = /^\/(?:services(?:\/.*)?|rejects|pipeline)?$/;
/** Headers of the read API's answers the page needs. */
const FORWARDED = ["content-type", "etag", "cache-control", "allow", "last-modified", "content-length"];

export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const dist = options.dist ?? (await import("./build.ts")).consoleDist;
  const apiUrl = options.apiUrl.replace(/\/+$/, "");
  const streams = new Set<ServerResponse>();

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) problem(response, 500, "Console error", (error as Error).message);
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://console");
    const path = url.pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("allow", "GET, HEAD");
      return problem(response, 405, "Method not allowed", "the console is read-only: GET and HEAD only");
    }
    if (path.startsWith("/v1/") || path === "/docs" || path.startsWith("/docs/"))
      return forward(request, response, `${apiUrl}${request.url ?? "/"}`);
    if (path === "/pipeline.json") {
      if (!options.feed) return problem(response, 404, "No pipeline", "this console was started without one");
      return json(response, options.feed.snapshot());
    }
    if (path === "/events") return events(request, response);
    if (APP_ROUTES.test(path)) return file(request, response, join(dist, "index.html"), "no-cache");
    if (path.startsWith("/assets/")) {
      const relative = decodedPath(path.slice("/assets/".length));
      if (relative === undefined || relative.startsWith("..") || relative.includes("\0"))
        return problem(response, 404, "Not found", `no file ${path}`);
      return file(request, response, join(dist, "assets", relative), "public, max-age=31536000, immutable");
    }
    // Any other page: the app itself, which says there is no such page and links back; the status stays 404.
    return file(request, response, join(dist, "index.html"), "no-cache", 404);
  }

  function events(request: IncomingMessage, response: ServerResponse): void {
    if (!options.feed) return problem(response, 404, "No pipeline", "this console was started without one");
    const feed = options.feed;
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
      ...SECURITY_HEADERS,
    });
    // retry: how long the browser waits before reconnecting when npm start restarts.
    response.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(feed.snapshot())}\n\n`);
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    streams.add(response);
    const unsubscribe = feed.subscribe((snapshot) => {
      const { history, ...rest } = snapshot;
      const latest = history[history.length - 1];
      response.write(`event: sample\ndata: ${JSON.stringify({ ...rest, point: latest ?? null })}\n\n`);
    });
    response.on("close", () => {
      unsubscribe();
      streams.delete(response);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    port,
    async close() {
      for (const stream of streams) stream.end();
      await closeServer(server);
    },
  };
}

async function forward(request: IncomingMessage, response: ServerResponse, target: string): Promise<void> {
  let answer: Response;
  try {
    answer = await fetch(target, {
      method: request.method ?? "GET",
      headers: pick(request.headers, ["accept", "if-none-match"]),
      redirect: "manual",
    });
  } catch (error) {
    return problem(
      response,
      502,
      "Read API unreachable",
      `the read API at ${new URL(target).origin} did not answer (${(error as Error).message}); is npm start still running?`,
    );
  }
  const headers: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = answer.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  if (answer.headers.get("location")) headers.location = answer.headers.get("location")!;
  response.writeHead(answer.status, headers);
  response.end(request.method === "HEAD" ? undefined : Buffer.from(await answer.arrayBuffer()));
}

async function file(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  cacheControl: string,
  status = 200,
): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    const hint = path.endsWith("index.html") ? " (the console is not built: npm run build)" : "";
    return problem(response, 404, "Not found", `no file ${path}${hint}`);
  }
  response.writeHead(status, {
    "content-type": TYPES[extname(path)] ?? "application/octet-stream",
    "content-length": info.size,
    "cache-control": cacheControl,
    ...SECURITY_HEADERS,
  });
  if (request.method === "HEAD") {
    response.end();
    return;
  }
  createReadStream(path).pipe(response);
}

function json(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

/** RFC 9457, like the read API's own errors. */
function problem(response: ServerResponse, status: number, title: string, detail: string): void {
  const text = JSON.stringify({ type: "about:blank", title, status, detail });
  response.writeHead(status, {
    "content-type": "application/problem+json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

function pick(headers: IncomingMessage["headers"], names: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === "string") picked[name] = value;
  }
  return picked;
}

/** The percent-decoded, normalised relative path; undefined for a malformed escape. */
function decodedPath(encoded: string): string | undefined {
  try {
    return normalize(decodeURIComponent(encoded));
  } catch {
    return undefined;
  }
}

function closeServer(server: Server): Promise<void> {
  server.closeIdleConnections();
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets of a still-open page would hold close() for minutes.
    setTimeout(() => server.closeAllConnections(), 500).unref();
  });
}

// The console server on its own: the page and its hashed assets, the read API forwarded with its status and
// headers, read-only methods, no way out of the bundle, and a problem (not a hang) when the API is down.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildConsole, startConsole, type ConsoleServer } from "../server.ts";

let api: Server;
let apiUrl: string;
let server: ConsoleServer;
const asked: string[] = [];

beforeAll(async () => {
  await buildConsole();
  api = createServer((request, response) => {
    asked.push(`${request.method} ${request.url}`);
    if (request.url?.startsWith("/v1/services/1.1.1.1")) {
      response.writeHead(200, {
        "content-type": "application/json",
        etag: '"abc"',
        "cache-control": "max-age=5",
      });
      response.end(JSON.stringify({ key: "1.1.1.1:80:HTTP" }));
      return;
    }
    response.writeHead(400, { "content-type": "application/problem+json", "set-cookie": "x=1" });
    response.end(
      JSON.stringify({ title: "Bad Request", status: 400, detail: "limit must be …", parameter: "limit" }),
    );
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  server = await startConsole({ port: 0, apiUrl });
});

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => api?.close(resolve));
});

test("serves the page for each view, with a strict content security policy", async () => {
  for (const path of ["/", "/services", "/services/1.1.1.1/80/http", "/rejects?reason=x", "/pipeline"]) {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status, path).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await response.text();
    const script = /src="(\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    await asset.arrayBuffer();
  }
});

test("an unknown page is still the app (it says so) with status 404", async () => {
  const response = await fetch(`${server.url}/nowhere`);
  expect(response.status).toBe(404);
  expect(await response.text()).toContain('<div id="app">');
});

test("forwards the read API with its status, type, ETag and Cache-Control, and nothing else", async () => {
  const ok = await fetch(`${server.url}/v1/services/1.1.1.1/80/http`, {
    headers: { "if-none-match": '"zzz"' },
  });
  expect(ok.status).toBe(200);
  expect(ok.headers.get("etag")).toBe('"abc"');
  expect(ok.headers.get("cache-control")).toBe("max-age=5");
  expect(await ok.json()).toEqual({ key: "1.1.1.1:80:HTTP" });
  const bad = await fetch(`${server.url}/v1/services?limit=0`);
  expect(bad.status).toBe(400);
  expect(bad.headers.get("content-type")).toBe("application/problem+json");
  expect(bad.headers.get("set-cookie")).toBeNull();
  expect((await bad.json()).parameter).toBe("limit");
  expect(asked).toContain("GET /v1/services?limit=0");
});

test("is read-only: other methods get 405 with Allow", async () => {
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    const response = await fetch(`${server.url}/v1/services`, { method });
    expect(response.status, method).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
    expect((await response.json()).title).toBe("Method not allowed");
  }
  expect(asked.some((line) => !line.startsWith("GET"))).toBe(false);
});

test("no path leaves the bundle, and a malformed escape is a 404, not an error", async () => {
  for (const path of [
    "/assets/%E0%A4%A.js",
    "/assets/%ZZ",
    "/assets/../../package.json",
    "/assets/%2e%2e/%2e%2e/package.json",
    "/assets/..%2f..%2fserver.ts",
  ]) {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status, path).toBe(404);
    expect(await response.text()).not.toContain("@scan-ingest/console");
  }
});

test("without a pipeline, /events and /pipeline.json say so as problems", async () => {
  for (const path of ["/events", "/pipeline.json"]) {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(404);
    expect((await response.json()).detail).toBe("this console was started without one");
  }
});

test("a read API that is down is a 502 problem naming it, not a hang", async () => {
  const orphan = await startConsole({ port: 0, apiUrl: "http://127.0.0.1:9" });
  try {
    const response = await fetch(`${orphan.url}/v1/services`);
    expect(response.status).toBe(502);
    expect((await response.json()).detail).toContain("http://127.0.0.1:9");
  } finally {
    await orphan.close();
  }
});

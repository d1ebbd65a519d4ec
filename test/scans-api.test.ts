// `scans --api URL`: the flag's parsing, and the requests readThroughApi sends to scansApi and what it makes of
// the answers, against a local HTTP server that records each request and answers as the API would.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { extractApiFlag, readThroughApi } from "../cli/scans/api.ts";

/** What the fake API answers to a path (with its query): status and JSON body. */
type Answer = (url: URL) => { status: number; body: unknown };

let server: Server;
let base: string;
let answer: Answer;
let requested: URL[];

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url!, "http://api.test");
    requested.push(url);
    const { status, body } = answer(url);
    response.writeHead(status, {
      "content-type": status < 400 ? "application/json" : "application/problem+json",
    });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  requested = [];
  answer = () => ({ status: 500, body: { detail: "no answer set" } });
});

describe("extractApiFlag", () => {
  test("takes --api URL out of the arguments and leaves the rest in order", () => {
    expect(extractApiFlag(["list", "--api", "http://127.0.0.1:8089/", "--limit", "5"])).toEqual({
      argv: ["list", "--limit", "5"],
      api: "http://127.0.0.1:8089",
    });
  });

  test("accepts --api=URL too", () => {
    expect(extractApiFlag(["--api=https://api.example.com", "get", "1.1.1.7:443:HTTP"]).api).toBe(
      "https://api.example.com",
    );
  });

  test("leaves the API unset when the flag is absent", () => {
    expect(extractApiFlag(["list"])).toEqual({ argv: ["list"], api: undefined });
  });

  test("refuses a URL that is not http(s), or a missing one, naming --api", () => {
    expect(() => extractApiFlag(["list", "--api", "ftp://host"])).toThrow(/--api: "ftp:\/\/host"/);
    expect(() => extractApiFlag(["list", "--api"])).toThrow(/--api/);
    expect(() => extractApiFlag(["--api=http://host/v1"])).toThrow(/not an http\(s\) URL/);
  });
});

describe("readThroughApi", () => {
  test("gets one service by its key's parts, an IPv6 ip without brackets, and keeps the key as the id", async () => {
    answer = () => ({ status: 200, body: { key: "[2001:db8::1]:22:SSH", ip: "2001:db8::1", port: 22 } });
    const found = await readThroughApi(base, { command: "get", key: "[2001:db8::1]:22:SSH", json: false });
    expect(requested[0]!.pathname).toBe("/v1/services/2001%3Adb8%3A%3A1/22/SSH");
    expect(found).toEqual([{ id: "[2001:db8::1]:22:SSH", data: { ip: "2001:db8::1", port: 22 } }]);
  });

  test("answers nothing for a service the API does not know (404)", async () => {
    answer = () => ({ status: 404, body: { status: 404, detail: "no such service" } });
    expect(await readThroughApi(base, { command: "get", key: "1.1.1.7:443:HTTP", json: false })).toEqual([]);
  });

  test("passes list's filters as query parameters and follows page tokens until the limit", async () => {
    const since = new Date("2026-01-01T00:00:00Z");
    answer = (url) => {
      const token = url.searchParams.get("pageToken");
      const start = token === null ? 0 : Number(token);
      const limit = Number(url.searchParams.get("limit"));
      const items = Array.from({ length: limit }, (_, index) => ({ key: `k${start + index}`, port: 443 }));
      return { status: 200, body: { items, nextPageToken: String(start + limit) } };
    };
    const found = await readThroughApi(base, {
      command: "list",
      ip: "1.1.1.7",
      port: 443,
      service: "HTTP",
      since,
      limit: 1500,
      json: false,
    });
    expect(found).toHaveLength(1500);
    expect(found[1499]).toEqual({ id: "k1499", data: { port: 443 } });
    expect(requested.map((url) => url.pathname)).toEqual(["/v1/services", "/v1/services"]);
    const [first, second] = requested.map((url) => Object.fromEntries(url.searchParams));
    expect(first).toEqual({
      ip: "1.1.1.7",
      port: "443",
      service: "HTTP",
      since: since.toISOString(),
      limit: "1000",
    });
    expect(second).toMatchObject({ limit: "500", pageToken: "1000" });
  });

  test("stops at the last page when the API gives no next page token", async () => {
    answer = () => ({ status: 200, body: { items: [{ key: "only" }] } });
    const found = await readThroughApi(base, { command: "list", limit: 20, json: false });
    expect(found).toEqual([{ id: "only", data: {} }]);
    expect(requested).toHaveLength(1);
  });

  test("reads rejects by reason from /v1/rejects, their id as the id", async () => {
    answer = () => ({ status: 200, body: { items: [{ id: "m1", reason: "invalid_json" }] } });
    const found = await readThroughApi(base, {
      command: "rejects",
      reason: "invalid_json",
      limit: 5,
      json: false,
    });
    expect(requested[0]!.pathname).toBe("/v1/rejects");
    expect(Object.fromEntries(requested[0]!.searchParams)).toEqual({ reason: "invalid_json", limit: "5" });
    expect(found).toEqual([{ id: "m1", data: { reason: "invalid_json" } }]);
  });

  test("throws the status and the problem's detail when the API refuses a request", async () => {
    answer = () => ({
      status: 400,
      body: { status: 400, detail: "limit must be 1..1000", parameter: "limit" },
    });
    await expect(readThroughApi(base, { command: "list", limit: 5, json: false })).rejects.toThrow(
      /answered 400: limit must be 1\.\.1000/,
    );
  });
});

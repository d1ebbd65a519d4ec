// Malformed requests to scansApi through functions-framework's real server: each gets its documented 4xx
// RFC 9457 problem naming what was wrong, none a 500 or a stack trace, and the server keeps answering.
import { getFunction } from "@google-cloud/functions-framework/testing";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { mustBe } from "../../src/api/schemas.ts";
import { startFirestore, type FirestoreTarget } from "../harness.ts";
import { checkAgainstOpenApi, seeder, startApi, type ApiServer } from "./harness.ts";

let firestore: FirestoreTarget;
let api: ApiServer;
let seed: ReturnType<typeof seeder>;
let token: string;

beforeAll(async () => {
  firestore = await startFirestore();
  seed = seeder(firestore.host, "api-bad");
  // As Cloud Run runs it: express's own error page then carries no stack trace.
  api = await startApi({ ...seed.env, NODE_ENV: "production" });
  for (let port = 1; port <= 3; port++) await seed.scan("10.0.0.1", port, "HTTP", 1_700_000_000 + port);
  token = (await api.call("/v1/services?ip=10.0.0.1&limit=1")).json().nextPageToken;
});

afterAll(async () => {
  await api?.close();
  await seed?.client.terminate();
  await firestore?.stop();
});

const long = "a".repeat(5000);
const sql = "' OR 1=1 --";
const script = "<script>alert(1)</script>";

/** [request path, status, the parameter the problem names (undefined: none)] */
const cases: Array<[string, number, string | undefined]> = [
  // Paths
  ["/", 404, undefined],
  ["/v2/services", 404, undefined],
  ["/v1", 404, undefined],
  ["/v1/", 404, undefined],
  ["/v1/services/", 404, undefined],
  ["/v1/services/1.1.1.7", 404, undefined],
  ["/v1/services/1.1.1.7/443", 404, undefined],
  ["/v1/services/1.1.1.7/443/HTTP/extra", 404, undefined],
  ["/v1/stats/x", 404, undefined],
  ["/v1/rejects/1", 404, undefined],
  ["/v1/unknown", 404, undefined],
  ["/../etc/passwd", 404, undefined],
  ["/v1/%2e%2e/%2e%2e/etc/passwd", 404, undefined],
  ["/docs/../../package.json", 404, undefined],
  ["/docs/package.json", 404, undefined],
  ["/docs/%00", 404, undefined],
  [`/${long}`, 404, undefined],
  // Encodings (a malformed percent-escape in the path never reaches the function: see below)
  ["/v1/services/1.1.1.7%2F443/443/HTTP", 400, "ip"],
  ["/v1/services/%00/443/HTTP", 400, "ip"],
  ["/v1/services?ip=%ZZ", 400, "ip"],
  ["/v1/services?service=%C0%AF", 400, "service"],
  ["/v1/services?limit=%", 400, "limit"],
  ["/v1/rejects?reason=%E0%A4%A", 400, "reason"],
  ["/v1/services?%ZZ=1", 400, "%ZZ"],
  // ip
  ["/v1/services/1.1.1/443/HTTP", 400, "ip"],
  ["/v1/services/1.1.1.256/443/HTTP", 400, "ip"],
  ["/v1/services/01.1.1.7/443/HTTP", 400, "ip"],
  ["/v1/services/fe80::1%25eth0/443/HTTP", 400, "ip"],
  ["/v1/services/2001:db8:::1/443/HTTP", 400, "ip"],
  [`/v1/services/${encodeURIComponent(sql)}/443/HTTP`, 400, "ip"],
  [`/v1/services/${long}/443/HTTP`, 400, "ip"],
  ["/v1/services?ip=localhost", 400, "ip"],
  [`/v1/services?ip=${encodeURIComponent(script)}`, 400, "ip"],
  ["/v1/services?ip=", 400, "ip"],
  // port
  ["/v1/services/1.1.1.7/65536/HTTP", 400, "port"],
  ["/v1/services/1.1.1.7/-1/HTTP", 400, "port"],
  ["/v1/services/1.1.1.7/44.3/HTTP", 400, "port"],
  ["/v1/services/1.1.1.7/1e3/HTTP", 400, "port"],
  ["/v1/services/1.1.1.7/0x1BB/HTTP", 400, "port"],
  ["/v1/services/1.1.1.7/999999999999/HTTP", 400, "port"],
  ["/v1/services?port=abc", 400, "port"],
  ["/v1/services?port=%20443", 400, "port"],
  // service
  ["/v1/services/1.1.1.7/443/-HTTP", 400, "service"],
  ["/v1/services/1.1.1.7/443/HT%20TP", 400, "service"],
  [`/v1/services/1.1.1.7/443/${"S".repeat(65)}`, 400, "service"],
  [`/v1/services/1.1.1.7/443/${encodeURIComponent(script)}`, 400, "service"],
  [`/v1/services?service=${encodeURIComponent(sql)}`, 400, "service"],
  ["/v1/services?service=%F0%9F%98%80", 400, "service"],
  // since
  ["/v1/services?ip=1.1.1.7&since=yesterday", 400, "since"],
  ["/v1/services?ip=1.1.1.7&since=2026-13-01T00:00:00Z", 400, "since"],
  ["/v1/services?ip=1.1.1.7&since=2026-01-01", 400, "since"],
  ["/v1/rejects?since=1700000000", 400, "since"],
  // limit
  ["/v1/services?limit=0", 400, "limit"],
  ["/v1/services?limit=1001", 400, "limit"],
  ["/v1/services?limit=-5", 400, "limit"],
  ["/v1/services?limit=ten", 400, "limit"],
  ["/v1/services?limit=1.5", 400, "limit"],
  ["/v1/rejects?limit=99999999999999999999", 400, "limit"],
  ["/v1/rejects?limit=", 400, "limit"],
  // reason
  ["/v1/rejects?reason=nope", 400, "reason"],
  ["/v1/rejects?reason=INVALID_JSON", 400, "reason"],
  [`/v1/rejects?reason=${encodeURIComponent(sql)}`, 400, "reason"],
  ["/v1/rejects?reason[$ne]=x", 400, "reason[$ne]"],
  // pageToken
  ["/v1/services?pageToken=garbage", 400, "pageToken"],
  ["/v1/services?pageToken=a.b", 400, "pageToken"],
  ["/v1/services?pageToken=", 400, "pageToken"],
  [`/v1/services?pageToken=${long}`, 400, "pageToken"],
  ["/v1/services?pageToken=eyJ2IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA", 400, "pageToken"],
  // duplicates and unknown parameters
  ["/v1/services?ip=1.1.1.7&ip=1.1.1.8", 400, "ip"],
  ["/v1/rejects?limit=1&limit=2", 400, "limit"],
  ["/v1/services?ipp=1.1.1.7", 400, "ipp"],
  ["/v1/services?__proto__=x", 400, "__proto__"],
  ["/v1/services?constructor=x", 400, "constructor"],
  ["/v1/rejects?ip=1.1.1.7", 400, "ip"],
  ["/v1/stats?x=1", 400, "x"],
  ["/v1/services/1.1.1.7/443/HTTP?x=1", 400, "query"],
];

test("every documented parameter has a malformed case naming it", () => {
  const named = new Set(cases.map(([, , parameter]) => parameter));
  expect(Object.keys(mustBe).filter((parameter) => !named.has(parameter))).toEqual([]);
});

test.each(cases)("GET %s is a %i problem naming %s", async (path, status, parameter) => {
  const response = await api.call(path);
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = response.json();
  expect(problem).toMatchObject({ type: "about:blank", status });
  expect(problem.parameter).toBe(parameter);
  expect(problem.detail.length).toBeGreaterThan(5);
  expect(response.text).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
});

const html = "text/html; charset=utf-8";
const post = (contentType: string, body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": contentType, ...headers },
  body,
});

// functions-framework answers these itself, before any function runs: Express 5's router percent-decodes the
// path for its own routes, body-parser reads every body, and two paths are ignored by default. No supported
// hook reaches them (functions-framework registers a function, never middleware or an error handler), so
// they are the documented exceptions to "every error is a problem" (docs/read-api.md), pinned here as they
// are: [what, path, request, status, Content-Type, what Express logs to stderr (undefined: nothing)].
const beforeTheFunction: Array<[string, string, RequestInit, number, string | null, string | undefined]> = [
  ["a truncated escape", "/v1/services/1.1.1.1/80/%E0%A4%A", {}, 400, html, "URIError"],
  ["a truncated escape in a service path's ip", "/v1/services/%E0%A4%A/443/HTTP", {}, 400, html, "URIError"],
  ["a lone %", "/v1/services/%/443/HTTP", {}, 400, html, "URIError"],
  ["an escape of no hex digits", "/v1/%ZZ", {}, 400, html, "URIError"],
  ["an overlong UTF-8 escape", "/v1/services/%C0%AF/443/HTTP", {}, 400, html, "URIError"],
  [
    "a body that is not the JSON its type says",
    "/v1/stats",
    post("application/json", "{"),
    400,
    html,
    "SyntaxError",
  ],
  [
    "a body in a charset body-parser does not know",
    "/v1/stats",
    post("text/plain; charset=koi8-x", "x"),
    415,
    html,
    "UnsupportedMediaTypeError",
  ],
  [
    "a body in an unknown content encoding",
    "/v1/stats",
    post("text/plain", "x", { "content-encoding": "br2" }),
    415,
    html,
    "UnsupportedMediaTypeError",
  ],
  ["functions-framework's ignored /favicon.ico", "/favicon.ico", {}, 404, null, undefined],
  ["functions-framework's ignored /robots.txt", "/robots.txt", {}, 404, null, undefined],
];

test.each(beforeTheFunction)(
  "%s (%s) is answered by functions-framework before the function runs",
  async (_, path, init, status, type, logged) => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const response = await fetch(`${api.url}${path}`, init);
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe(type);
      expect(await response.text()).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace under production
      // Express's final handler logs the error, stack trace included, to stderr: one entry per such request.
      const lines = errors.mock.calls.map((call) => String(call[0]));
      expect(lines).toEqual(logged === undefined ? [] : [expect.stringMatching(new RegExp(`^${logged}: `))]);
    } finally {
      errors.mockRestore();
    }
  },
);

test("a malformed percent-escape that reached scansApi itself would be a 400 problem naming path", async () => {
  // The registered function called directly: what it answers if a later functions-framework passes one on.
  const scansApi = getFunction("scansApi") as (request: unknown, response: unknown) => Promise<void>;
  const headers = new Map<string, unknown>();
  const response = {
    statusCode: 0,
    body: undefined as Buffer | undefined,
    setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), value),
    end(body?: Buffer) {
      this.body = body;
    },
  };
  await scansApi({ method: "GET", url: "/v1/services/1.1.1.1/80/%E0%A4%A", headers: {} }, response);
  expect(response.statusCode).toBe(400);
  expect(headers.get("content-type")).toBe("application/problem+json");
  expect(JSON.parse(response.body!.toString())).toMatchObject({ status: 400, parameter: "path" });
});

test.each([
  ["a page token of another listing", () => `/v1/services?ip=10.0.0.2&pageToken=${token}`, "other filters"],
  [
    "a page token with one character changed",
    () => `/v1/services?ip=10.0.0.1&pageToken=${flip(token)}`,
    "signature",
  ],
  ["a services page token on rejects", () => `/v1/rejects?pageToken=${token}`, "other filters"],
])("%s is refused as a 400 naming pageToken", async (_, path, says) => {
  const response = await api.call(path());
  expect(response.status).toBe(400);
  expect(response.json().parameter).toBe("pageToken");
  expect(response.json().detail).toContain(says);
});

test("after all of them the server still answers, and every answer matched the OpenAPI document", async () => {
  const ok = await api.call("/v1/services/10.0.0.1/1/http");
  expect(ok.status).toBe(200);
  const document = JSON.parse((await api.call("/v1/openapi.json")).text);
  expect(checkAgainstOpenApi(document, api.recorded)).toEqual([]);
});

function flip(text: string): string {
  const index = text.indexOf(".") - 3;
  return `${text.slice(0, index)}${text[index] === "A" ? "B" : "A"}${text.slice(index + 1)}`;
}

// Malformed requests to scansApi through functions-framework's real server: each gets its documented 4xx
// RFC 9457 problem naming what was wrong, none a 500 or a stack trace, and the server keeps answering.
import { afterAll, beforeAll, expect, test } from "vitest";
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
  // Encodings
  ["/v1/services/1.1.1.7%2F443/443/HTTP", 400, "ip"],
  ["/v1/services/%00/443/HTTP", 400, "ip"],
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
  ["/v1/services?since=2026-01-01T00:00:00Z", 400, "since"],
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

test("there are more than 60 malformed requests", () => {
  expect(cases.length).toBeGreaterThan(60);
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

// Express 5's router, inside functions-framework, decodes the path before any function runs and answers a
// malformed percent-escape itself: a 400, but its own HTML page rather than a problem (README, Read API).
test.each(["/v1/services/%E0%A4%A/443/HTTP", "/v1/services/%/443/HTTP", "/v1/services/%C0%AF/443/HTTP"])(
  "GET %s (a malformed percent-escape) is refused with 400 by functions-framework before the function",
  async (path) => {
    const response = await fetch(`${api.url}${path}`);
    expect(response.status).toBe(400);
    expect(await response.text()).not.toMatch(/\bat .*\.(ts|js):\d+/);
  },
);

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

// scansApi through functions-framework's real server against a Firestore emulator (embedded, or
// FIRESTORE_EMULATOR_HOST): every endpoint, pagination under concurrent writes, the OpenAPI document
// (validated, and every response of this file checked against it) and the local /docs page.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { reasons } from "../../src/reasons.ts";
import { startFirestore, type FirestoreTarget } from "../harness.ts";
import { checkAgainstOpenApi, seeder, startApi, type ApiServer } from "./harness.ts";

let firestore: FirestoreTarget;
let api: ApiServer;
let seed: ReturnType<typeof seeder>;
const base = 1_700_000_000;
/** The keys this file stored, to compare stats with what was seeded rather than with the API's listing. */
const seededKeys = new Set<string>();
const scan = async (...args: Parameters<ReturnType<typeof seeder>["scan"]>) => {
  const key = await seed.scan(...args);
  seededKeys.add(key);
  return key;
};

beforeAll(async () => {
  firestore = await startFirestore();
  seed = seeder(firestore.host, "api");
  api = await startApi(seed.env);
  await scan("1.1.1.7", 443, "HTTP", base + 10, "hello");
  await scan("2001:db8::1", 22, "SSH", base + 20, "SSH-2.0");
});

afterAll(async () => {
  await api?.close();
  await seed?.client.terminate();
  await firestore?.stop();
});

describe("GET /v1/services/{ip}/{port}/{service}", () => {
  test.each([
    ["/v1/services/1.1.1.7/443/HTTP", "1.1.1.7:443:HTTP"],
    ["/v1/services/1.1.1.7/443/http", "1.1.1.7:443:HTTP"],
    ["/v1/services/::ffff:1.1.1.7/443/Http", "1.1.1.7:443:HTTP"],
    ["/v1/services/2001:0db8:0:0::1/22/ssh", "[2001:db8::1]:22:SSH"],
    ["/v1/services/2001%3Adb8%3A%3A1/22/SSH", "[2001:db8::1]:22:SSH"],
  ])("%s answers the stored scan %s, canonicalised as the ingest path does", async (path, key) => {
    const response = await api.call(path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.json()).toMatchObject({ key, responseTruncated: false, dataVersion: 2 });
    expect(response.json().scannedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(response.headers.get("etag")).toMatch(/^"[\w-]+"$/);
    expect(response.headers.get("cache-control")).toBe("private, max-age=5");
  });

  test("an unstored service is a 404 problem naming the key", async () => {
    const response = await api.call("/v1/services/9.9.9.9/1/HTTP");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.json()).toMatchObject({ status: 404, detail: "no scan stored for 9.9.9.9:1:HTTP" });
  });

  test("If-None-Match with the ETag answers 304, and a new scan changes the ETag", async () => {
    const first = await api.call("/v1/services/1.1.1.7/443/HTTP");
    const etag = first.headers.get("etag")!;
    const again = await api.call("/v1/services/1.1.1.7/443/HTTP", { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    await scan("1.1.1.7", 443, "HTTP", base + 11, "newer");
    const changed = await api.call("/v1/services/1.1.1.7/443/HTTP", { headers: { "If-None-Match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.json().response).toBe("newer");
    expect(changed.headers.get("etag")).not.toBe(etag);
  });

  test("HEAD answers GET's status and headers without a body", async () => {
    const get = await api.call("/v1/services/1.1.1.7/443/HTTP");
    const head = await api.call("/v1/services/1.1.1.7/443/HTTP", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    for (const name of ["etag", "cache-control", "content-type", "content-length"])
      expect(head.headers.get(name), name).toBe(get.headers.get(name));
  });

  test("bytes are base64: a v1 response that is not UTF-8 comes back as responseBytes", async () => {
    const { toServiceDocument } = await import("../../src/documents.ts");
    const { firestoreStore } = await import("../../src/store.ts");
    const { parseConfig } = await import("../../src/config.ts");
    const config = parseConfig(seed.env);
    const bytes = Uint8Array.from([0xff, 0x00, 0x80]);
    const document = toServiceDocument(
      { ip: "10.0.0.9", port: 7, service: "ECHO", timestamp: base, dataVersion: 1, response: bytes },
      { messageId: "bytes-1", publishTime: undefined },
      1024,
    );
    await firestoreStore(seed.client, config).applyIfNewer("10.0.0.9:7:ECHO", document);
    seededKeys.add("10.0.0.9:7:ECHO");
    const response = await api.call("/v1/services/10.0.0.9/7/echo");
    expect(response.json().responseBytes).toBe("/wCA");
  });
});

describe("GET /v1/services (listing)", () => {
  test("filtered by ip: newest scannedAt first, pages of `limit`, no duplicates or gaps while scans arrive between pages", async () => {
    const ip = "10.1.1.1";
    for (let port = 1; port <= 23; port++) await scan(ip, port, "HTTP", base + port);
    const snapshot = Array.from({ length: 23 }, (_, index) => `${ip}:${23 - index}:HTTP`);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query = `ip=${ip}&limit=5${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`;
      const response = await api.call(`/v1/services?${query}`);
      expect(response.status).toBe(200);
      const body = response.json();
      seen.push(...body.items.map((item: { key: string }) => item.key));
      token = body.nextPageToken;
      // Between pages: a scan not yet listed becomes the newest, and a new service appears.
      if (pages === 0) await scan(ip, 2, "HTTP", base + 1000);
      if (pages === 1) await scan(ip, 99, "HTTP", base + 2);
      pages++;
    } while (token !== undefined);
    expect(seen).toEqual(snapshot); // the listing is the snapshot of its first page
    expect(pages).toBe(5);
    const fresh = await api.call(`/v1/services?ip=${ip}&limit=2`);
    expect(fresh.json().items.map((item: { key: string }) => item.key)).toEqual([
      `${ip}:2:HTTP`,
      `${ip}:23:HTTP`,
    ]);
  });

  test.each([
    ["port=22", ["10.1.1.1:22:HTTP", "[2001:db8::1]:22:SSH"]],
    ["service=ssh", ["[2001:db8::1]:22:SSH"]],
    ["ip=2001:db8::1&port=22&service=SSH", ["[2001:db8::1]:22:SSH"]],
    ["ip=1.1.1.7&service=http", ["1.1.1.7:443:HTTP"]],
    ["ip=1.1.1.7&port=443", ["1.1.1.7:443:HTTP"]],
    ["port=22&service=SSH", ["[2001:db8::1]:22:SSH"]],
    [
      `ip=10.1.1.1&since=${new Date((base + 21) * 1000).toISOString()}&limit=10`,
      ["10.1.1.1:2:HTTP", "10.1.1.1:23:HTTP", "10.1.1.1:22:HTTP", "10.1.1.1:21:HTTP"],
    ],
    [`ip=10.1.1.1&since=2100-01-01T00:00:00%2B01:00`, []],
  ])("?%s lists %j", async (query, keys) => {
    const response = await api.call(`/v1/services?${query}`);
    expect(response.status).toBe(200);
    expect(response.json().items.map((item: { key: string }) => item.key)).toEqual(keys);
  });

  test("without a filter: every service newest scannedAt first across all shards, ties by key descending", async () => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const response = await api.call(`/v1/services?limit=7${token ? `&pageToken=${token}` : ""}`);
      keys.push(...response.json().items.map((item: { key: string }) => item.key));
      token = response.json().nextPageToken;
    } while (token);
    const stored = (await seed.client.collection(seed.collections.services).get()).docs;
    const newestFirst = stored
      .map((document) => ({ key: document.id, at: document.get("scannedAt").toMillis() as number }))
      .sort((a, b) => b.at - a.at || (a.key < b.key ? 1 : -1))
      .map((entry) => entry.key);
    expect(keys).toEqual(newestFirst);
    expect(new Set(stored.map((document) => document.get("shard"))).size).toBeGreaterThan(1);
  });

  test("a page token is refused for a listing with other filters, and when altered", async () => {
    const first = (await api.call("/v1/services?ip=10.1.1.1&limit=2")).json().nextPageToken as string;
    const foreign = await api.call(`/v1/services?ip=10.1.1.2&limit=2&pageToken=${first}`);
    expect(foreign.status).toBe(400);
    expect(foreign.json()).toMatchObject({ parameter: "pageToken" });
    expect(foreign.json().detail).toContain("other filters");
    const altered = `${first.slice(0, 5)}${first[5] === "A" ? "B" : "A"}${first.slice(6)}`;
    const forged = await api.call(`/v1/services?ip=10.1.1.1&limit=2&pageToken=${altered}`);
    expect(forged.status).toBe(400);
    expect(forged.json().parameter).toBe("pageToken");
  });
});

describe("GET /v1/services/{ip}/{port}/{service}/history", () => {
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

  test("every distinct response with its first and last scan, newest lastSeen first, in pages", async () => {
    // One, two, one again (current), and an older third that arrives late.
    for (const [offset, response] of [
      [1, "one"],
      [2, "two"],
      [3, "one"],
      [0, "three"],
    ] as const)
      await scan("10.5.5.5", 80, "HTTP", base + offset, response);
    const wanted = [
      {
        responseSha256: sha("one"),
        firstSeen: iso(base + 1),
        lastSeen: iso(base + 3),
        current: true,
        response: "one",
      },
      {
        responseSha256: sha("two"),
        firstSeen: iso(base + 2),
        lastSeen: iso(base + 2),
        current: false,
        response: "two",
      },
      {
        responseSha256: sha("three"),
        firstSeen: iso(base),
        lastSeen: iso(base),
        current: false,
        response: "three",
      },
    ].map((entry) => ({ ...entry, responseSize: entry.response.length, responseTruncated: false }));
    const whole = await api.call("/v1/services/10.5.5.5/80/http/history");
    expect(whole.status).toBe(200);
    expect(whole.json()).toEqual({ items: wanted });
    const paged: unknown[] = [];
    let token: string | undefined;
    do {
      const page = await api.call(
        `/v1/services/10.5.5.5/80/HTTP/history?limit=1${token ? `&pageToken=${token}` : ""}`,
      );
      paged.push(...page.json().items);
      token = page.json().nextPageToken;
      if (paged.length === 1) await scan("10.5.5.5", 80, "HTTP", base + 9, "four"); // after the snapshot
    } while (token);
    expect(paged).toEqual(wanted);
  });

  test.each([
    ["/v1/services/10.9.9.8/80/http/history", 404, undefined],
    ["/v1/services/10.5.5.5/80/http/history?limit=0", 400, "limit"],
    ["/v1/services/10.5.5.5/80/http/history?since=2026-01-01T00:00:00Z", 400, "since"],
    ["/v1/services/10.5.5.5/99999/http/history", 400, "port"],
  ])("%s is a %d problem", async (path, status, parameter) => {
    const response = await api.call(path);
    expect(response.status).toBe(status);
    expect(response.json().parameter).toBe(parameter);
  });

  test("a page token of another service's history is refused", async () => {
    await scan("10.5.5.6", 80, "HTTP", base, "a");
    await scan("10.5.5.6", 80, "HTTP", base + 1, "b");
    const first = await api.call("/v1/services/10.5.5.6/80/http/history?limit=1");
    const token = first.json().nextPageToken as string;
    const foreign = await api.call(`/v1/services/10.5.5.5/80/http/history?limit=1&pageToken=${token}`);
    expect(foreign.status).toBe(400);
    expect(foreign.json().detail).toContain("other filters");
  });
});

describe("GET /v1/rejects and /v1/stats", () => {
  test("rejects come newest first, filtered by reason, in pages, one snapshot per listing", async () => {
    const ids: string[] = [];
    for (const reason of [
      "invalid_json",
      "invalid_ip",
      "invalid_json",
      "invalid_port",
      "invalid_json",
    ] as const) {
      ids.push(await seed.reject(reason));
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct rejectedAt
    }
    const all: string[] = [];
    let token: string | undefined;
    let page = 0;
    do {
      const response = await api.call(`/v1/rejects?limit=2${token ? `&pageToken=${token}` : ""}`);
      all.push(...response.json().items.map((item: { id: string }) => item.id));
      token = response.json().nextPageToken;
      if (page++ === 0) await seed.reject("invalid_data"); // after the listing's snapshot: not in it
    } while (token);
    expect(all).toEqual([...ids].reverse());
    const json = await api.call("/v1/rejects?reason=invalid_json");
    expect(json.json().items.map((item: { id: string }) => item.id)).toEqual([ids[4], ids[2], ids[0]]);
    expect(json.json().items[0]).toMatchObject({ reason: "invalid_json", data: "{}", dataSize: 2 });
  });

  test("stats counts services and rejects by reason", async () => {
    const response = await api.call("/v1/stats");
    expect(response.status).toBe(200);
    const stats = response.json();
    expect(stats.rejects).toBe(6);
    expect(stats.rejectsByReason).toMatchObject({
      invalid_json: 3,
      invalid_ip: 1,
      invalid_port: 1,
      invalid_data: 1,
    });
    expect(Object.keys(stats.rejectsByReason).sort()).toEqual([...reasons].sort());
    expect(stats.services).toBe(seededKeys.size);
  });
});

describe("errors", () => {
  test.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])(
    "%s on a known path is 405 with Allow: GET, HEAD",
    async (method) => {
      const response = await api.call("/v1/services", { method });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    },
  );
});

describe("the OpenAPI document and /docs", () => {
  test("/v1/openapi.json is a valid OpenAPI 3.1 document", async () => {
    const document = (await api.call("/v1/openapi.json")).json();
    expect(document.openapi).toBe("3.1.0");
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test("/docs and every file it loads are served by this server, with no other host named", async () => {
    const page = await api.call("/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const local = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(local.length).toBeGreaterThanOrEqual(3);
    for (const url of local) {
      expect(url, url).toMatch(/^\/docs\//);
      const asset = await api.call(url);
      expect(asset.status, url).toBe(200);
      expect(asset.text.length, url).toBeGreaterThan(10);
    }
    const init = await api.call("/docs/init.js");
    expect(init.text).toContain("/v1/openapi.json");
    expect(init.text).toContain("validatorUrl: null");
    expect(page.text + init.text).not.toMatch(/https?:\/\//);
  });

  test("the API's sources import nothing of the ingest handler", () => {
    const directory = new URL("../../src/api/", import.meta.url).pathname;
    for (const name of readdirSync(directory)) {
      const source = readFileSync(join(directory, name), "utf8");
      expect(source, name).not.toMatch(/from "\.\.\/(ingest|envelope|index)\.ts"/);
    }
  });

  // Last: every response this file received, checked against the schema the document gives it.
  test("every response of this file matches the schema the document gives it", async () => {
    const document = JSON.parse((await api.call("/v1/openapi.json")).text);
    expect(api.recorded.length).toBeGreaterThan(40);
    expect(checkAgainstOpenApi(document, api.recorded)).toEqual([]);
  });
});

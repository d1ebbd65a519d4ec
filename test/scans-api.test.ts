// `scans --api URL`: the flag's parsing, and what readThroughApi asks of the real scansApi (under
// functions-framework's server, on the embedded Firestore emulator) and makes of its answers, against what
// the test seeded.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startApi, seeder, type ApiServer } from "@scan-ingest/functions/testing/api";
import { startFirestore, type FirestoreTarget } from "@scan-ingest/functions/testing";
import { extractApiFlag, readThroughApi } from "../cli/scans/api.ts";

let firestore: FirestoreTarget;
let api: ApiServer;
let seed: ReturnType<typeof seeder>;
const base = 1_700_000_000;

beforeAll(async () => {
  firestore = await startFirestore();
  seed = seeder(firestore.host, "scans-api");
  api = await startApi(seed.env);
});

afterAll(async () => {
  await api?.close();
  await seed?.client.terminate();
  await firestore?.stop();
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
  test("gets one service by its key, an IPv6 one included, and keeps the key as the id", async () => {
    const key = await seed.scan("2001:db8::1", 22, "SSH", base, "SSH-2.0-OpenSSH");
    expect(key).toBe("[2001:db8::1]:22:SSH");
    const found = await readThroughApi(api.url, { command: "get", key, json: false });
    expect(found).toHaveLength(1);
    expect(found[0]!.id).toBe(key);
    expect(found[0]!.data).toMatchObject({
      ip: "2001:db8::1",
      port: 22,
      service: "SSH",
      response: "SSH-2.0-OpenSSH",
    });
    expect(found[0]!.data).not.toHaveProperty("key");
  });

  test("answers nothing for a service the API does not know (404)", async () => {
    expect(await readThroughApi(api.url, { command: "get", key: "10.99.0.1:443:HTTP", json: false })).toEqual(
      [],
    );
  });

  test("applies list's filters and follows the API's page tokens past one page, each service once", async () => {
    // 1,005 services that match (past the API's 1,000 a page), and some that each filter leaves out.
    const matching = Array.from({ length: 1005 }, (_, index) => ({
      port: index,
      timestamp: base + 100 + (index % 7),
    }));
    for (let start = 0; start < matching.length; start += 100)
      await Promise.all(
        matching
          .slice(start, start + 100)
          .map(({ port, timestamp }) => seed.scan("10.1.0.1", port, "HTTP", timestamp)),
      );
    await seed.scan("10.1.0.2", 1, "HTTP", base + 100); // another ip
    await seed.scan("10.1.0.1", 1, "SSH", base + 100); // another service
    await seed.scan("10.1.0.1", 2000, "HTTP", base); // scanned before since
    const request = {
      command: "list",
      ip: "10.1.0.1",
      service: "HTTP",
      since: new Date((base + 100) * 1000),
      json: false,
    } as const;
    const expected = matching.map(({ port }) => `10.1.0.1:${port}:HTTP`).sort();

    const all = await readThroughApi(api.url, { ...request, limit: 2000 });
    expect(all.map((found) => found.id).sort()).toEqual(expected);

    const some = await readThroughApi(api.url, { ...request, limit: 1003 });
    expect(some).toHaveLength(1003);
    expect(new Set(some.map((found) => found.id)).size).toBe(1003);
    expect(some.every((found) => expected.includes(found.id))).toBe(true);
  });

  test("reads rejects by reason, their message id as the id", async () => {
    const first = await seed.reject("invalid_json", "{not json");
    const second = await seed.reject("invalid_json", "[]");
    await seed.reject("invalid_port");
    const found = await readThroughApi(api.url, {
      command: "rejects",
      reason: "invalid_json",
      limit: 5,
      json: false,
    });
    expect(found.map((reject) => reject.id).sort()).toEqual([first, second].sort());
    expect(found.every((reject) => reject.data.reason === "invalid_json")).toBe(true);
  });

  test("throws the status and the problem's detail when the API refuses a request", async () => {
    await expect(
      readThroughApi(api.url, { command: "list", ip: "1.1.1.07", limit: 5, json: false }),
    ).rejects.toThrow(/answered 400: ip must be an IPv4 or IPv6 address, got "1\.1\.1\.07"/);
  });
});

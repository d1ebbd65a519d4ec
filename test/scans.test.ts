// `npm run scans` against a Firestore emulator with seeded documents: as a user runs it (a child process),
// and in-process through runScans for the many filter cases, which keeps the file quick.
import { execFile } from "node:child_process";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { Firestore, Timestamp } from "@google-cloud/firestore";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { READ_TIMEOUT_MS } from "../cli/scans/read.ts";
import { runScans } from "../cli/scans/run.ts";
import { emulatorFirestore } from "@scan-ingest/pipeline/clients";
import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";
import { emulatorTarget } from "@scan-ingest/emulator-shared/target";
import { shardOf } from "@scan-ingest/functions/shard";
import { parseConfig } from "@scan-ingest/functions/config";
import { toServiceDocument } from "@scan-ingest/functions/documents";
import { firestoreStore } from "@scan-ingest/functions/store";

const SCANS = new URL("../cli/scans/main.ts", import.meta.url).pathname;
const project = DEFAULT_PROJECT;
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const collections = { services: `services-scans-${suffix}`, rejects: `rejects-scans-${suffix}` };

let host: string;
let stop: () => Promise<void> = async () => undefined;
let db: Firestore;

const service = (ip: string, port: number, name: string, seconds: number, response: string) => ({
  ip,
  port,
  service: name,
  response,
  responseSize: Buffer.byteLength(response),
  responseSha256: "0".repeat(64),
  responseTruncated: false,
  scannedAt: new Timestamp(seconds, 0),
  dataVersion: 2,
  messageId: `m-${seconds}`,
  publishTime: new Timestamp(seconds + 1, 250_000_000),
  updatedAt: new Timestamp(seconds + 2, 0),
});

const seeded: Record<string, ReturnType<typeof service>> = {
  "1.1.1.7:443:HTTP": service("1.1.1.7", 443, "HTTP", 1732262400, "hello world"),
  "1.1.1.7:22:SSH": service("1.1.1.7", 22, "SSH", 1732262600, "SSH-2.0-OpenSSH_9.6"),
  "1.1.1.8:22:SSH": service("1.1.1.8", 22, "SSH", 1732262300, "SSH-2.0-dropbear"),
  "[2001:db8::1]:22:SSH": service("2001:db8::1", 22, "SSH", 1732262500, "line one\nline two"),
};

beforeAll(async () => {
  ({ host, stop } = await emulatorTarget("FIRESTORE_EMULATOR_HOST", async () =>
    (await import("@scan-ingest/emulator-firestore")).start({ port: 0 }),
  ));
  db = emulatorFirestore({ host: host, projectId: project });
  const batch = db.batch();
  for (const [key, data] of Object.entries(seeded))
    batch.set(db.collection(collections.services).doc(key), { ...data, shard: shardOf(key) });
  const reject = (reason: string, seconds: number, data: string) => ({
    reason,
    detail: `${reason} detail`,
    data,
    dataSize: data.length,
    dataSha256: "0".repeat(64),
    attributes: {},
    messageId: `r-${seconds}`,
    publishTime: new Timestamp(seconds, 0),
    rejectedAt: new Timestamp(seconds + 1, 0),
  });
  const rejects = db.collection(collections.rejects);
  batch.set(rejects.doc("r-100"), { ...reject("invalid_json", 100, "{oops"), shard: shardOf("r-100") });
  batch.set(rejects.doc("r-200"), {
    ...reject("invalid_ip", 200, '{"ip":"1.1.1.07"}'),
    shard: shardOf("r-200"),
  });
  await batch.commit();
});

afterAll(async () => {
  await db.terminate();
  await stop();
});

type Finished = { code: number; stdout: string; stderr: string };

const environment = () => ({
  ...process.env,
  FIRESTORE_EMULATOR_HOST: host,
  GOOGLE_CLOUD_PROJECT: project,
  SERVICES_COLLECTION: collections.services,
  REJECTS_COLLECTION: collections.rejects,
});

/** The command as a user runs it, in its own process. */
function scans(...args: string[]): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCANS, ...args], { env: environment() }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

/** The same command in this process. */
async function scansHere(...args: string[]): Promise<Finished> {
  const output = { stdout: "", stderr: "" };
  const code = await runScans(args, environment(), {
    stdout: (text) => (output.stdout += text),
    stderr: (text) => (output.stderr += text),
  });
  return { code, ...output };
}

const keysOf = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { key: string }).key);

describe.concurrent("npm run scans", () => {
  test("get finds a service whatever the spelling of its address and service", async () => {
    const found = await scans("get", "2001:DB8:0::1", "22", "ssh");
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toMatch(/^key\s+\[2001:db8::1\]:22:SSH$/m);
    expect(found.stdout).toMatch(/^response\s+line one\\nline two$/m);
    expect(found.stdout).toMatch(/^scannedAt\s+2024-11-22T08:01:40Z$/m);
  });

  test("get --json prints the document with its key, times as RFC 3339", async () => {
    const found = await scansHere("get", "1.1.1.7", "443", "HTTP", "--json");
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout)).toEqual({
      key: "1.1.1.7:443:HTTP",
      ...seeded["1.1.1.7:443:HTTP"],
      shard: shardOf("1.1.1.7:443:HTTP"),
      scannedAt: "2024-11-22T08:00:00Z",
      publishTime: "2024-11-22T08:00:01.250Z",
      updatedAt: "2024-11-22T08:00:02Z",
    });
  });

  test("get of a key that was never stored exits 1 and says which key", async () => {
    const missing = await scans("get", "1.1.1.9", "80", "http");
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toContain(
      `no scan stored for 1.1.1.9:80:HTTP (${project}, collection ${collections.services})`,
    );
  });

  test("list shows every service, newest scan first, as a table", async () => {
    const listed = await scans("list");
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^IP\s+PORT\s+SERVICE\s+SCANNED AT\s+V\s+RESPONSE$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 3).join(" "))).toEqual([
      "1.1.1.7 22 SSH",
      "2001:db8::1 22 SSH",
      "1.1.1.7 443 HTTP",
      "1.1.1.8 22 SSH",
    ]);
  });

  test.each<[string, string[], string[]]>([
    ["one address", ["--ip", "1.1.1.7"], ["1.1.1.7:22:SSH", "1.1.1.7:443:HTTP"]],
    ["an IPv6 address in another spelling", ["--ip", "2001:db8:0:0::1"], ["[2001:db8::1]:22:SSH"]],
    ["one port", ["--port", "22"], ["1.1.1.7:22:SSH", "[2001:db8::1]:22:SSH", "1.1.1.8:22:SSH"]],
    [
      "one service in any case",
      ["--service", "ssh"],
      ["1.1.1.7:22:SSH", "[2001:db8::1]:22:SSH", "1.1.1.8:22:SSH"],
    ],
    ["scans since a time", ["--since", "2024-11-22T08:01:40Z"], ["1.1.1.7:22:SSH", "[2001:db8::1]:22:SSH"]],
    ["a limit", ["--port", "22", "--limit", "1"], ["1.1.1.7:22:SSH"]],
    ["several filters at once", ["--port", "22", "--service", "SSH", "--ip", "1.1.1.8"], ["1.1.1.8:22:SSH"]],
  ])("list --json filters by %s", async (_name, flags, keys) => {
    const listed = await scansHere("list", ...flags, "--json");
    expect(listed.code, listed.stderr).toBe(0);
    expect(keysOf(listed.stdout)).toEqual(keys);
  });

  test("list with no match exits 1 and says so", async () => {
    const listed = await scansHere("list", "--ip", "9.9.9.9", "--json");
    expect(listed).toMatchObject({ code: 1, stdout: "" });
    expect(listed.stderr).toContain("no scans match");
  });

  test("rejects lists rejected messages newest first, and filters by reason", async () => {
    const all = await scansHere("rejects", "--json");
    expect(all.code, all.stderr).toBe(0);
    const ids = all.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string; reason: string; data: string });
    expect(ids.map(({ id, reason }) => [id, reason])).toEqual([
      ["r-200", "invalid_ip"],
      ["r-100", "invalid_json"],
    ]);
    const table = await scans("rejects", "--reason", "invalid_json");
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /^r-100\s+invalid_json\s+1970-01-01T00:01:41Z\s+invalid_json detail\s+\{oops$/m,
    );
    expect(table.stdout).not.toContain("r-200");
  });

  test("rejects of a reason nobody hit exits 1", async () => {
    const none = await scansHere("rejects", "--reason", "invalid_port");
    expect(none).toMatchObject({ code: 1, stdout: "" });
    expect(none.stderr).toContain("no rejected messages match");
  });

  test("a malformed request exits 2 with the usage, before touching Firestore", async () => {
    const wrong = await scans("get", "1.1.1.07", "80", "HTTP");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('<ip>: "1.1.1.07" is not an IPv4 or IPv6 address');
    expect(wrong.stderr).toContain("Usage: npm run scans");
  });
});

// In its own process, as a user runs it: the Firestore SDK takes FIRESTORE_EMULATOR_HOST from the process's
// environment over any host it is given, and this process's may name another emulator (npm run test:google).
test(
  "a Firestore emulator that takes the connection and never answers: exit 1 after the read timeout, naming it",
  async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket)); // holds every connection, says nothing
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const started = performance.now();
      const finished = await new Promise<Finished>((resolve) => {
        const env = { ...environment(), FIRESTORE_EMULATOR_HOST: address };
        execFile(
          process.execPath,
          [SCANS, "get", "1.1.1.1", "80", "http"],
          { env },
          (error, stdout, stderr) =>
            resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
        );
      });
      expect(finished.code, finished.stderr).toBe(1);
      expect(finished.stderr).toContain(
        `no answer from the Firestore emulator at ${address} within ${READ_TIMEOUT_MS / 1000} s`,
      );
      expect(performance.now() - started).toBeGreaterThanOrEqual(READ_TIMEOUT_MS);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  },
  READ_TIMEOUT_MS + 20_000,
);

describe("npm run scans -- history", () => {
  // Its own collection, written through the ingest path's transaction, so the listings above stay as seeded.
  const history = { services: `services-history-${suffix}`, rejects: `rejects-history-${suffix}` };
  const env = () => ({ ...environment(), SERVICES_COLLECTION: history.services });
  const run = async (...args: string[]) => {
    const output = { stdout: "", stderr: "" };
    const code = await runScans(args, env(), {
      stdout: (text) => (output.stdout += text),
      stderr: (text) => (output.stderr += text),
    });
    return { code, ...output };
  };

  beforeAll(async () => {
    const config = parseConfig({ ...env(), REJECTS_COLLECTION: history.rejects });
    const store = firestoreStore(db, config);
    for (const [timestamp, response] of [
      [1732262400, "SSH-2.0-OpenSSH_9.6"],
      [1732262500, "SSH-2.0-OpenSSH_9.7"],
      [1732262300, "SSH-2.0-OpenSSH_9.5"],
    ] as const) {
      const scan = { ip: "1.1.1.9", port: 22, service: "SSH", timestamp, dataVersion: 2 as const };
      const document = toServiceDocument(
        { ...scan, response: Buffer.from(response) },
        { messageId: response, publishTime: { seconds: timestamp, nanoseconds: 0 } },
        1024,
      );
      await store.applyIfNewer("1.1.1.9:22:SSH", document);
    }
  });

  test("lists every distinct response newest first, the current one marked, in any key spelling", async () => {
    const listed = await run("history", "1.1.1.9:22:ssh");
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^lastSeen\s+firstSeen\s+current\s+size\s+responseSha256\s+response$/);
    expect(rows.slice(1).map((row) => row.split(/\s{2,}/))).toEqual([
      ["2024-11-22T08:01:40Z", "2024-11-22T08:01:40Z", "*", "19", expect.any(String), "SSH-2.0-OpenSSH_9.7"],
      ["2024-11-22T08:00:00Z", "2024-11-22T08:00:00Z", "19", expect.any(String), "SSH-2.0-OpenSSH_9.6"],
      ["2024-11-22T07:58:20Z", "2024-11-22T07:58:20Z", "19", expect.any(String), "SSH-2.0-OpenSSH_9.5"],
    ]);
    const json = await run("history", "::ffff:1.1.1.9", "22", "SSH", "--json", "--limit", "2");
    expect(
      json.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).response),
    ).toEqual(["SSH-2.0-OpenSSH_9.7", "SSH-2.0-OpenSSH_9.6"]);
  });

  test("of a service never stored exits 1 and names it", async () => {
    const missing = await run("history", "1.1.1.9", "23", "telnet");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no scan stored for 1.1.1.9:23:TELNET");
  });
});

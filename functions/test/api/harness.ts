// scansApi under functions-framework's real server against a Firestore emulator, with every response
// recorded so a test can check each one against the OpenAPI document the API serves.
import { Firestore } from "@google-cloud/firestore";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { toRejectDocument, toServiceDocument } from "../../src/documents.ts";
import { parseConfig } from "../../src/config.ts";
import { firestoreStore } from "../../src/store.ts";
import type { Reason } from "../../src/reasons.ts";
import { projectId, uniqueCollections } from "../harness.ts";

/** One response as the client saw it. */
export interface Recorded {
  method: string;
  path: string;
  status: number;
  headers: Headers;
  text: string;
}

/** A running scansApi. */
export interface ApiServer {
  url: string;
  recorded: Recorded[];
  /** Sends a request and records the response; `path` is sent as written (no normalisation). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a response body, which the tests' assertions check
  call(path: string, init?: RequestInit): Promise<Recorded & { json: () => any }>;
  close(): Promise<void>;
}

/** Loads scansApi with this environment (once per test file) and serves it on a free port. */
export async function startApi(env: Record<string, string>): Promise<ApiServer> {
  Object.assign(process.env, env);
  await import("../../src/api/index.ts");
  const { getTestServer } = await import("@google-cloud/functions-framework/testing");
  const server: Server = getTestServer("scansApi");
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const recorded: Recorded[] = [];
  return {
    url,
    recorded,
    async call(path, init = {}) {
      const response = await fetch(`${url}${path}`, init);
      const entry = {
        method: init.method ?? "GET",
        path,
        status: response.status,
        headers: response.headers,
        text: await response.text(),
      };
      recorded.push(entry);
      return { ...entry, json: () => JSON.parse(entry.text) };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Collections unique to a test file, and writers that store documents exactly as ingestScan does. */
export function seeder(host: string, prefix: string) {
  const collections = uniqueCollections(prefix);
  const config = parseConfig({
    FIRESTORE_EMULATOR_HOST: host,
    SERVICES_COLLECTION: collections.services,
    REJECTS_COLLECTION: collections.rejects,
  });
  const client = new Firestore({
    projectId,
    host,
    ssl: false,
    customHeaders: { Authorization: "Bearer owner" },
    ignoreUndefinedProperties: true, // as the function's own client
  });
  const store = firestoreStore(client, config);
  let messages = 0;
  return {
    collections,
    client,
    env: {
      FIRESTORE_EMULATOR_HOST: host,
      SERVICES_COLLECTION: collections.services,
      REJECTS_COLLECTION: collections.rejects,
    },
    /** Stores a scan through the ingest path's own transaction; returns its key. */
    async scan(ip: string, port: number, service: string, timestamp: number, response = `r${timestamp}`) {
      const messageId = String(++messages);
      const bytes = Buffer.from(response);
      const document = toServiceDocument(
        { ip, port, service, timestamp, dataVersion: 2, response: bytes },
        { messageId, publishTime: { seconds: timestamp, nanoseconds: 0 } },
        config.maxResponseBytes,
      );
      const ipText = ip.includes(":") ? `[${ip}]` : ip;
      const key = `${ipText}:${port}:${service}`;
      await store.applyIfNewer(key, document);
      return key;
    },
    /** Stores a reject as ingestScan does. */
    async reject(reason: Reason, data: Uint8Array | string = "{}") {
      const messageId = `m${String(++messages).padStart(6, "0")}`;
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      await store.writeReject(
        messageId,
        toRejectDocument(
          { reason, detail: `because ${reason}`, messageId, publishTime: undefined },
          bytes,
          {},
          1024,
        ),
      );
      return messageId;
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document, walked by path
type Json = Record<string, any>;

/** Every recorded response against the document: its status documented, its body valid under its schema. */
export function checkAgainstOpenApi(document: Json, recorded: readonly Recorded[]): string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const failures: string[] = [];
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }));
  const problem = { $ref: "#/components/schemas/Problem" };
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  const compile = (schema: Json) => {
    const key = JSON.stringify(schema);
    if (!compiled.has(key)) compiled.set(key, ajv.compile({ ...schema, components: document.components }));
    return compiled.get(key)!;
  };
  for (const entry of recorded) {
    const path = entry.path.split("?")[0]!;
    const operation = templates.find(({ pattern }) => pattern.test(path));
    const type = (entry.headers.get("content-type") ?? "").split(";")[0]!;
    let schema: unknown;
    if (path.startsWith("/docs")) continue; // the page and its files are not part of the API
    if (operation === undefined) {
      if (entry.status !== 404) failures.push(`${entry.path}: undocumented path answered ${entry.status}`);
      schema = problem;
    } else {
      const responses = document.paths[operation.template].get.responses as Json;
      const documented = responses[String(entry.status)];
      if (documented === undefined) {
        failures.push(`${entry.method} ${entry.path}: status ${entry.status} is not documented`);
        continue;
      }
      if (documented.content === undefined || entry.method === "HEAD") {
        if (entry.text !== "")
          failures.push(`${entry.path}: ${entry.status} has a body it does not document`);
        continue;
      }
      if (!(type in documented.content)) {
        failures.push(
          `${entry.path}: ${entry.status} is ${type}, documented ${Object.keys(documented.content)}`,
        );
        continue;
      }
      schema = documented.content[type].schema;
      if (schema === undefined) continue; // the document itself: validated on its own
    }
    if (entry.method === "HEAD") continue;
    const validate = compile(schema as Json);
    if (!validate(JSON.parse(entry.text)))
      failures.push(`${entry.method} ${entry.path} (${entry.status}): ${ajv.errorsText(validate.errors)}`);
  }
  return failures;
}

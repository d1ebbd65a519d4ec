import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type * as Protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fieldPaths, testTitles, withField } from "@scan-ingest/emulator-shared/proto-walk";
import { protoRoot } from "@scan-ingest/emulator-shared/service-definitions";
import { start, type FirestoreEmulator } from "../src/index.ts";
import { REFUSED_FIELDS } from "../src/refusals.ts";
import { rawClient } from "./raw-client.ts";

// Every field of every request the embedded emulator serves is either honoured — named here with the title
// of a test that exercises it — or refused UNIMPLEMENTED by name (src/refusals.ts). A new proto field fails
// this test until it is put on one side.
const require = createRequire(import.meta.url);
const bundle = JSON.parse(
  readFileSync(
    path.join(path.dirname(require.resolve("@google-cloud/firestore/package.json")), "build/protos/v1.json"),
    "utf8",
  ),
);
const service = protoRoot(bundle).lookupService("google.firestore.v1.Firestore");
const IMPLEMENTED = Object.keys(REFUSED_FIELDS).concat("GetDocument", "BeginTransaction", "Rollback");

/** Honoured fields by "Method path" prefix; the longest prefix names the test that exercises the field. */
const HONOURED: Record<string, string> = {
  GetDocument: "GetDocument honours its mask and reads at a read time",
  "GetDocument transaction":
    "a read-modify-write transaction sees the stored value and writes a server timestamp",
  BatchGetDocuments: "getAll returns found and missing documents in request order",
  "BatchGetDocuments mask": "getAll with a field mask returns only the masked fields",
  "BatchGetDocuments transaction":
    "a read-modify-write transaction sees the stored value and writes a server timestamp",
  "BatchGetDocuments newTransaction":
    "a read-only transaction sees one snapshot even when a write lands between its reads",
  "BatchGetDocuments readTime": "a read at a past readTime sees the documents as they were then",
  ListDocuments: "listDocuments includes documents that only have subcollections",
  "ListDocuments pageSize":
    "ListDocuments pages with page_size and page_token, masks, and reads at a read time",
  "ListDocuments pageToken":
    "ListDocuments pages with page_size and page_token, masks, and reads at a read time",
  "ListDocuments mask": "ListDocuments pages with page_size and page_token, masks, and reads at a read time",
  "ListDocuments readTime":
    "ListDocuments pages with page_size and page_token, masks, and reads at a read time",
  "ListDocuments transaction":
    "ListDocuments pages with page_size and page_token, masks, and reads at a read time",
  ListCollectionIds: "listCollections names the subcollections of a document",
  "ListCollectionIds pageSize":
    "ListDocuments pages with page_size and page_token, masks, and reads at a read time",
  "ListCollectionIds pageToken":
    "ListDocuments pages with page_size and page_token, masks, and reads at a read time",
  Commit: "a batch applies all its writes at one commit time",
  "Commit transaction": "a read-modify-write transaction sees the stored value and writes a server timestamp",
  "Commit writes.updateMask": "set with merge changes only the given fields, nested ones included",
  "Commit writes.currentDocument": "update and delete with the current lastUpdateTime succeed",
  "Commit writes.updateTransforms": "increment saturates at the largest 64-bit integer",
  "Commit writes.transform": "increment saturates at the largest 64-bit integer",
  "Commit writes.delete": "delete removes the document, and deleting a missing one succeeds",
  BatchWrite: "BulkWriter (BatchWrite) writes each document and reports a failure per write",
  BeginTransaction: "a read-modify-write transaction sees the stored value and writes a server timestamp",
  "BeginTransaction options.readOnly":
    "a read-only transaction sees one snapshot even when a write lands between its reads",
  "BeginTransaction options.readWrite.retryTransaction":
    "two transactions that read a key and both want to write it end with the older writing and the younger aborted",
  Rollback: "a failing callback rolls back: nothing it queued is written",
  RunQuery: "== matches equal values",
  "RunQuery structuredQuery.select": "select returns only the selected fields",
  "RunQuery structuredQuery.from.allDescendants":
    "a collection group query finds the collection at every depth",
  "RunQuery structuredQuery.where.compositeFilter": "OR of two equalities",
  "RunQuery structuredQuery.where.unaryFilter": "null and NaN match no field filter but IS_NULL and IS_NAN",
  "RunQuery structuredQuery.orderBy": "orderBy descending with limit",
  "RunQuery structuredQuery.startAt": "startAt and endBefore cut the order",
  "RunQuery structuredQuery.endAt": "startAfter and endAt cut the order",
  "RunQuery structuredQuery.offset": "offset skips results",
  "RunQuery structuredQuery.limit": "orderBy descending with limit",
  "RunQuery structuredQuery.findNearest":
    "the limit takes the nearest, and a filter applies before the search",
  "RunQuery structuredQuery.findNearest.distanceResultField":
    "a distance threshold keeps the near ones: at most it for EUCLIDEAN, at least it for DOT_PRODUCT",
  "RunQuery structuredQuery.findNearest.distanceThreshold":
    "a distance threshold keeps the near ones: at most it for EUCLIDEAN, at least it for DOT_PRODUCT",
  "RunQuery transaction":
    "a read-only transaction sees one snapshot even when a write lands between its reads",
  "RunQuery newTransaction":
    "a read-only transaction sees one snapshot even when a write lands between its reads",
  "RunQuery readTime": "a read at a past readTime sees the documents as they were then",
  RunAggregationQuery: "aggregations count, sum and average over the query",
  "RunAggregationQuery structuredAggregationQuery.aggregations.count.upTo": "count up_to caps the count",
  "RunAggregationQuery transaction":
    "a read-only transaction sees one snapshot even when a write lands between its reads",
  "RunAggregationQuery newTransaction":
    "a read-only transaction sees one snapshot even when a write lands between its reads",
  "RunAggregationQuery readTime": "a read at a past readTime sees the documents as they were then",
  Listen:
    "a query listener with where and orderBy sees documents added, modified, and removed when they stop matching",
  "Listen addTarget.documents": "a document listener sees the document missing, created, updated and deleted",
  "Listen addTarget.query.structuredQuery.limit":
    "a listener with limit keeps the first results in order as documents enter and leave",
  "Listen addTarget.query.structuredQuery.findNearest":
    "a Listen target with find_nearest is refused with a REMOVE naming it",
  "Listen addTarget.resumeToken":
    "Listen resumes with a RESET and a fresh snapshot, assigns target ids, honours once and expected_count, and removes targets",
  "Listen addTarget.readTime":
    "Listen resumes with a RESET and a fresh snapshot, assigns target ids, honours once and expected_count, and removes targets",
  "Listen addTarget.targetId":
    "Listen resumes with a RESET and a fresh snapshot, assigns target ids, honours once and expected_count, and removes targets",
  "Listen addTarget.once":
    "Listen resumes with a RESET and a fresh snapshot, assigns target ids, honours once and expected_count, and removes targets",
  "Listen addTarget.expectedCount":
    "Listen resumes with a RESET and a fresh snapshot, assigns target ids, honours once and expected_count, and removes targets",
  "Listen removeTarget":
    "Listen resumes with a RESET and a fresh snapshot, assigns target ids, honours once and expected_count, and removes targets",
};

// A Value is one field to the walk: its kinds are the conformance suites' subject.
const OPAQUE = [".google.firestore.v1.Value"];

const allTitles = testTitles(import.meta.dirname);

describe("proto walk", () => {
  test("every field of every implemented request is honoured by a named test or refused by name", () => {
    const unplaced: string[] = [];
    const missingTitles = new Set<string>();
    for (const method of service.methodsArray.filter((m) => IMPLEMENTED.includes(m.name))) {
      method.resolve();
      for (const fieldPath of fieldPaths(method.resolvedRequestType as Protobuf.Type, OPAQUE)) {
        const refused = (REFUSED_FIELDS[method.name] ?? []).some(
          (r) => fieldPath === r || fieldPath.startsWith(`${r}.`),
        );
        if (refused) continue;
        const key = `${method.name} ${fieldPath}`;
        const prefix = Object.keys(HONOURED)
          .filter(
            (p) =>
              key === p || key.startsWith(p.includes(" ") ? `${p}.` : `${p} `) || key.startsWith(`${p}.`),
          )
          .sort((a, b) => b.length - a.length)[0];
        if (!prefix) unplaced.push(key);
        else if (!allTitles.includes(HONOURED[prefix] as string))
          missingTitles.add(HONOURED[prefix] as string);
      }
    }
    expect(unplaced).toEqual([]);
    expect([...missingTitles]).toEqual([]);
  });
});

// The raw behaviour tests below run on the embedded emulator: they speak gRPC without the SDK.
let emulator: FirestoreEmulator;
let raw: ReturnType<typeof rawClient>;
const database = "projects/walk/databases/(default)";
const documents = `${database}/documents`;
beforeAll(async () => {
  emulator = await start();
  raw = rawClient(emulator.host);
  const writes = ["a", "b", "c"].map((id, i) => ({
    update: {
      name: `${documents}/walk/${id}`,
      fields: { n: { integerValue: String(i) }, m: { stringValue: id } },
    },
  }));
  await raw.call("Commit", { database, writes });
});
afterAll(async () => {
  raw.close();
  await emulator.stop();
});

/** A sample value for a refused field, enough to make it present on the wire. */
const REFUSED_SAMPLES: Record<string, unknown> = {
  explainOptions: { analyze: true },
  orderBy: "name",
  readTime: { seconds: 1 },
  labels: { team: "x" },
  "writes.update.createTime": { seconds: 1 },
  "writes.update.updateTime": { seconds: 1 },
};
const BASES: Record<string, Record<string, unknown>> = {
  RunQuery: { parent: documents, structuredQuery: { from: [{ collectionId: "walk" }] } },
  RunAggregationQuery: {
    parent: documents,
    structuredAggregationQuery: {
      structuredQuery: { from: [{ collectionId: "walk" }] },
      aggregations: [{ alias: "c", count: {} }],
    },
  },
  ListDocuments: { parent: documents, collectionId: "walk" },
  ListCollectionIds: { parent: documents },
  BatchWrite: { database, writes: [{ delete: `${documents}/walk/zz` }] },
  Commit: { database, writes: [{ update: { name: `${documents}/walk/zz`, fields: {} } }] },
};
const STREAMING = new Set(["RunQuery", "RunAggregationQuery"]);

describe("refused fields", () => {
  const cases = Object.entries(REFUSED_FIELDS).flatMap(([method, paths]) =>
    method === "Listen" ? [] : paths.map((fieldPath) => [method, fieldPath] as const),
  );
  test.each(cases)("%s with %s is refused UNIMPLEMENTED naming the field", async (method, fieldPath) => {
    const request = withField(
      BASES[method] as Record<string, unknown>,
      fieldPath,
      REFUSED_SAMPLES[fieldPath],
    );
    const answer = STREAMING.has(method) ? raw.stream(method, request) : raw.call(method, request);
    const snake = (fieldPath.split(".").pop() as string).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    await expect(answer).rejects.toMatchObject({ code: 12, details: expect.stringContaining(snake) });
  });
});

/** A ListenResponse as decoded (only what these tests read). */
interface Message {
  targetChange?: {
    targetChangeType: string;
    targetIds?: number[];
    resumeToken?: Buffer;
    cause?: { code: number; message: string };
  };
  [kind: string]: unknown;
}

/** Opens a raw Listen stream; take(n) resolves to the next n messages. */
function listenStream() {
  const stream = raw.duplex("Listen");
  const messages: Message[] = [];
  const waiters: (() => void)[] = [];
  stream.on("data", (message: unknown): void => {
    messages.push(message as Message);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    send: (request: unknown) => stream.write(request),
    async take(count: number): Promise<Message[]> {
      while (messages.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return messages.splice(0, count);
    },
    end: () => stream.end(),
  };
}
const kinds = (messages: Message[]): string[] =>
  messages.map((m) =>
    m.targetChange ? `${m.targetChange.targetChangeType}` : (Object.keys(m).find((k) => m[k]) ?? ""),
  );
const walkQuery = { parent: documents, structuredQuery: { from: [{ collectionId: "walk" }] } };

describe("raw behaviours", () => {
  test("GetDocument honours its mask and reads at a read time", async () => {
    const name = `${documents}/walk/a`;
    const document = await raw.call<{ fields: object; updateTime: object }>("GetDocument", {
      name,
      mask: { fieldPaths: ["m"] },
    });
    expect(Object.keys(document.fields)).toEqual(["m"]);
    await expect(raw.call("GetDocument", { name, readTime: { seconds: 1 } })).rejects.toMatchObject({
      code: 5,
    });
  });

  test("ListDocuments pages with page_size and page_token, masks, and reads at a read time", async () => {
    const first = await raw.call<{ documents: { fields: object }[]; nextPageToken: string }>(
      "ListDocuments",
      {
        parent: documents,
        collectionId: "walk",
        pageSize: 2,
        mask: { fieldPaths: ["n"] },
      },
    );
    expect(first.documents.map((d) => Object.keys(d.fields))).toEqual([["n"], ["n"]]);
    const rest = await raw.call<{ documents: object[] }>("ListDocuments", {
      parent: documents,
      collectionId: "walk",
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    expect(rest.documents).toHaveLength(1);
    const past = await raw.call<{ documents?: object[] }>("ListDocuments", {
      parent: documents,
      collectionId: "walk",
      readTime: { seconds: 1 },
    });
    expect(past.documents ?? []).toHaveLength(0);
    const ids = await raw.call<{ collectionIds: string[] }>("ListCollectionIds", {
      parent: documents,
      pageSize: 1,
    });
    expect(ids.collectionIds).toEqual(["walk"]);
    const begun = await raw.call<{ transaction: Buffer }>("BeginTransaction", { database });
    const inTransaction = await raw.call<{ documents: object[] }>("ListDocuments", {
      parent: documents,
      collectionId: "walk",
      transaction: begun.transaction,
    });
    expect(inTransaction.documents).toHaveLength(3);
  });

  test("count up_to caps the count", async () => {
    const [answer] = await raw.stream<{ result: { aggregateFields: { c: { integerValue: string } } } }>(
      "RunAggregationQuery",
      withField(
        BASES.RunAggregationQuery as Record<string, unknown>,
        "structuredAggregationQuery.aggregations",
        [{ alias: "c", count: { upTo: { value: 2 } } }],
      ),
    );
    expect(answer?.result.aggregateFields.c.integerValue).toBe("2");
  });

  test("Listen resumes with a RESET and a fresh snapshot, assigns target ids, honours once and expected_count, and removes targets", async () => {
    const stream = listenStream();
    stream.send({ database, addTarget: { query: walkQuery } });
    const initial = await stream.take(6);
    expect(kinds(initial)).toEqual([
      "ADD",
      "documentChange",
      "documentChange",
      "documentChange",
      "CURRENT",
      "NO_CHANGE",
    ]);
    expect(initial[0]?.targetChange?.targetIds).toEqual([1]);
    const token = initial[5]?.targetChange?.resumeToken;
    stream.send({
      database,
      addTarget: { query: walkQuery, targetId: 7, resumeToken: token, expectedCount: { value: 3 } },
    });
    expect(kinds(await stream.take(8))).toEqual([
      "ADD",
      "RESET",
      "documentChange",
      "documentChange",
      "documentChange",
      "filter",
      "CURRENT",
      "NO_CHANGE",
    ]);
    stream.send({
      database,
      addTarget: {
        documents: { documents: [`${documents}/walk/a`] },
        targetId: 8,
        readTime: { seconds: 1 },
        once: true,
      },
    });
    expect(kinds(await stream.take(6))).toEqual([
      "ADD",
      "RESET",
      "documentChange",
      "CURRENT",
      "NO_CHANGE",
      "REMOVE",
    ]);
    stream.send({ database, removeTarget: 7 });
    expect(kinds(await stream.take(1))).toEqual(["REMOVE"]);
    stream.end();
  });

  test("a Listen target with find_nearest is refused with a REMOVE naming it", async () => {
    const stream = listenStream();
    const findNearest = {
      vectorField: { fieldPath: "v" },
      queryVector: { arrayValue: {} },
      distanceMeasure: "EUCLIDEAN",
      limit: { value: 1 },
    };
    stream.send({
      database,
      addTarget: {
        targetId: 1,
        query: { ...walkQuery, structuredQuery: { ...walkQuery.structuredQuery, findNearest } },
      },
    });
    const [removed] = await stream.take(1);
    expect(removed?.targetChange).toMatchObject({ targetChangeType: "REMOVE", cause: { code: 3 } });
    expect(removed?.targetChange?.cause?.message).toContain("findNearest");
    stream.send({ database, labels: { a: "b" }, addTarget: { targetId: 2, query: walkQuery } });
    const [labelled] = await stream.take(1);
    expect(labelled?.targetChange).toMatchObject({ targetChangeType: "REMOVE", cause: { code: 12 } });
    expect(labelled?.targetChange?.cause?.message).toContain("labels");
    stream.end();
  });
});

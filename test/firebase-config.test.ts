// The Firebase emulator suite path cannot run here (no Java): these checks keep its files honest.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, test } from "vitest";
import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";

const root = new URL("../", import.meta.url);
const readJson = (path: string): unknown => JSON.parse(readFileSync(new URL(path, root), "utf8"));
const schema = (name: string) => readJson(`node_modules/firebase-tools/schema/${name}`) as object;

// ajv-formats is CommonJS; its plugin is also exported as `default`, which is what TypeScript sees.
const addFormats = addFormatsModule.default;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validFirebaseConfig = ajv.compile(schema("firebase-config.json"));
const validFirebaserc = ajv.compile(schema("firebaserc.json"));

// What `firebase deploy --only firestore:indexes` runs on the file before it sends anything (no schema file exists).
type IndexSpec = { indexes: unknown[]; fieldOverrides?: unknown[] };
const { FirestoreApi } = createRequire(import.meta.url)("firebase-tools/lib/firestore/api.js") as {
  FirestoreApi: new () => { upgradeOldSpec(spec: IndexSpec): IndexSpec; validateSpec(spec: IndexSpec): void };
};
const validateIndexSpec = (spec: IndexSpec) => {
  const api = new FirestoreApi();
  api.validateSpec(api.upgradeOldSpec(spec));
};

type FirebaseConfig = {
  firestore: { rules: string; indexes: string };
  emulators: Record<string, { port?: number; enabled?: boolean } | boolean>;
};
const config = readJson("firebase.json") as FirebaseConfig;

describe("firebase.json", () => {
  test("is valid by firebase-tools' own schema", () => {
    expect(validFirebaseConfig(config), ajv.errorsText(validFirebaseConfig.errors)).toBe(true);
  });

  test("would be refused by that schema if it were wrong", () => {
    const broken = { ...config, emulators: { ...config.emulators, pubsub: { port: "8085" } } };
    expect(validFirebaseConfig(broken)).toBe(false);
  });

  test("puts Firestore on 8080, Pub/Sub on 8085 and the UI on 4000, in single project mode", () => {
    expect(config.emulators).toMatchObject({
      firestore: { port: 8080 },
      pubsub: { port: 8085 },
      ui: { enabled: true, port: 4000 },
      singleProjectMode: true,
    });
  });
});

describe(".firebaserc", () => {
  test("names the emulators' default project, by firebase-tools' schema", () => {
    const firebaserc = readJson(".firebaserc");
    expect(validFirebaserc(firebaserc), ajv.errorsText(validFirebaserc.errors)).toBe(true);
    expect(firebaserc).toMatchObject({ projects: { default: DEFAULT_PROJECT } });
  });
});

describe("firestore.rules", () => {
  const rules = readFileSync(new URL(config.firestore.rules, root), "utf8");
  const code = rules.replace(/\/\/.*$/gm, "");

  test("is version 2 with balanced braces", () => {
    expect(code.trimStart().startsWith("rules_version = '2';")).toBe(true);
    expect(code.split("{").length).toBe(code.split("}").length);
  });

  test("denies every client read and write and allows nothing anywhere", () => {
    expect(code).toMatch(/match \/\{document=\*\*\}\s*\{\s*allow read, write: if false;\s*\}/);
    expect(code.match(/allow /g)).toHaveLength(1);
  });
});

describe("firestore.indexes.json", () => {
  type Index = {
    collectionGroup: string;
    queryScope: string;
    fields: { fieldPath: string; order: string }[];
  };
  type Override = { collectionGroup: string; fieldPath: string; indexes: Record<string, string>[] };
  const indexes = readJson(config.firestore.indexes) as { indexes: Index[]; fieldOverrides: Override[] };
  const has = (collection: string, fields: [string, string][]) =>
    indexes.indexes.some(
      (index) =>
        index.collectionGroup === collection &&
        index.queryScope === "COLLECTION" &&
        JSON.stringify(index.fields.map((field) => [field.fieldPath, field.order])) ===
          JSON.stringify(fields),
    );

  // The listings' equality filters, as read.ts builds them: with ip, the ip composites (one host's services are
  // few and scanned at random times); without, the shard first, read through `shard in [...]`.
  const serviceFilters = [[], ["port"], ["service"], ["port", "service"]];
  test.each(
    serviceFilters.flatMap((rest) => [
      ["ip", ...rest],
      ["shard", ...rest],
    ]),
  )("serves the services listing filtered by %s, newest scannedAt first", (...fields: string[]) => {
    const wanted = [
      ...fields.map((field): [string, string] => [field, "ASCENDING"]),
      ["scannedAt", "DESCENDING"],
    ];
    expect(has("services", wanted as [string, string][])).toBe(true);
  });

  test.each([[["shard"]], [["shard", "reason"]]])(
    "serves the rejects listing by %j, newest rejectedAt first",
    (fields) => {
      const wanted = [
        ...fields.map((field): [string, string] => [field, "ASCENDING"]),
        ["rejectedAt", "DESCENDING"],
      ];
      expect(has("rejects", wanted as [string, string][])).toBe(true);
    },
  );

  // Every indexed field is a field of a written document: the capacity model refuses any other
  // (test/bench/capacity-model.test.ts runs it on this file).

  test("is accepted by the validation firebase-tools runs before deploying it, which refuses a bad order", () => {
    expect(() => validateIndexSpec(indexes)).not.toThrow();
    const broken = { collectionGroup: "services", fieldPath: "updatedAt", indexes: [{ order: "DOWN" }] };
    expect(() => validateIndexSpec({ ...indexes, fieldOverrides: [broken] })).toThrow(/order/);
  });

  // Firestore caps a collection with a sequentially increasing indexed field at ~500 writes/s
  // (https://cloud.google.com/firestore/docs/solutions/shard-timestamp). Pub/Sub message ids are server-assigned
  // numbers, so they are treated as sequential too.
  const sequential: [string, string, string[]][] = [
    ["services", "scannedAt", []], // listings order by it through composites that start with ip or shard
    ["services", "publishTime", []],
    ["services", "updatedAt", []],
    ["services", "messageId", []],
    ["rejects", "rejectedAt", []], // through (shard, rejectedAt) and (shard, reason, rejectedAt)
    ["rejects", "publishTime", []],
    ["rejects", "messageId", []],
  ];
  test.each(sequential)(
    "keeps no single-field index on the sequential %s.%s: %j",
    (collection, field, orders) => {
      const override = indexes.fieldOverrides.find(
        (candidate) => candidate.collectionGroup === collection && candidate.fieldPath === field,
      );
      expect(override, `no exemption for ${collection}.${field}`).toBeDefined();
      expect(override!.indexes).toEqual(orders.map((order) => ({ order, queryScope: "COLLECTION" })));
    },
  );
});

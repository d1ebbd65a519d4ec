// The Firebase emulator suite path cannot run here (no Java): these checks keep its files honest.
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, test } from "vitest";

const root = new URL("../", import.meta.url);
const readJson = (path: string): unknown => JSON.parse(readFileSync(new URL(path, root), "utf8"));
const schema = (name: string) => readJson(`node_modules/firebase-tools/schema/${name}`) as object;

// ajv-formats is CommonJS; its plugin is also exported as `default`, which is what TypeScript sees.
const addFormats = addFormatsModule.default;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validFirebaseConfig = ajv.compile(schema("firebase-config.json"));
const validFirebaserc = ajv.compile(schema("firebaserc.json"));

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
  test("names demo-scan as the default project, by firebase-tools' schema", () => {
    const firebaserc = readJson(".firebaserc");
    expect(validFirebaserc(firebaserc), ajv.errorsText(validFirebaserc.errors)).toBe(true);
    expect(firebaserc).toMatchObject({ projects: { default: "demo-scan" } });
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
  const indexes = readJson(config.firestore.indexes) as { indexes: Index[]; fieldOverrides: unknown[] };
  const has = (collection: string, fields: [string, string][]) =>
    indexes.indexes.some(
      (index) =>
        index.collectionGroup === collection &&
        index.queryScope === "COLLECTION" &&
        JSON.stringify(index.fields.map((field) => [field.fieldPath, field.order])) ===
          JSON.stringify(fields),
    );

  test.each(["ip", "port", "service"])("serves `scans list --%s`, newest scannedAt first", (field) => {
    expect(
      has("services", [
        [field, "ASCENDING"],
        ["scannedAt", "DESCENDING"],
      ]),
    ).toBe(true);
  });

  test("serves `scans rejects --reason`, newest rejectedAt first", () => {
    expect(
      has("rejects", [
        ["reason", "ASCENDING"],
        ["rejectedAt", "DESCENDING"],
      ]),
    ).toBe(true);
  });

  test("indexes only fields of the contract's documents", () => {
    const services = ["ip", "port", "service", "scannedAt", "response", "responseBytes"];
    const rejects = ["reason", "rejectedAt", "data", "dataBytes", "attributes"];
    const fields = [
      ...indexes.indexes.flatMap((index) =>
        index.fields.map((field) => [index.collectionGroup, field.fieldPath]),
      ),
      ...(indexes.fieldOverrides as { collectionGroup: string; fieldPath: string }[]).map((override) => [
        override.collectionGroup,
        override.fieldPath,
      ]),
    ];
    for (const [collection, field] of fields) {
      expect(
        (collection === "services" ? services : rejects).includes(field ?? ""),
        `${collection}.${field}`,
      ).toBe(true);
    }
  });
});

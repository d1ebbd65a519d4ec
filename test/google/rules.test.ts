// firestore.rules under Google's Firestore emulator, which evaluates security rules (the embedded one does not).
// No client — signed out, signed in, or with an admin-looking claim — may read or write anything; the
// server client the function and `scans` use still can. A second project with allow-all rules is the
// positive control: the same client calls succeed there, so a denial here is the rules' doing.
import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { Firestore, Timestamp } from "@google-cloud/firestore";
import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
  type RulesTestContext,
  type RulesTestEnvironment,
} from "@firebase/rules-unit-testing";
import { setLogLevel } from "firebase/firestore";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseConfig } from "@scan-ingest/functions/config";
import { createIngestScan } from "@scan-ingest/functions/ingest";
import { documentKey } from "@scan-ingest/functions/key";
import type { MessageLog } from "@scan-ingest/functions/log";
import { createFirestore, firestoreStore } from "@scan-ingest/functions/store";
import { emulatorFirestore } from "@scan-ingest/pipeline/clients";

const RULES = new URL("../../firestore.rules", import.meta.url);
const SCANS = new URL("../../cli/scans/main.ts", import.meta.url).pathname;
const ALLOW_ALL = `rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /{document=**} {
      allow read, write: if true;
    }
  }
}
`;

const emulatorHost = process.env.FIRESTORE_EMULATOR_HOST;
const project = process.env.GOOGLE_CLOUD_PROJECT || "demo-scan-rules";
const openProject = `${project}-open`;
/** Document ids unique to this run, so the file can run again against the same emulator. */
const run = `${process.pid}-${Date.now().toString(36)}`;

type ClientDb = ReturnType<RulesTestContext["firestore"]>;

interface Identity {
  key: string;
  label: string;
  context(environment: RulesTestEnvironment): RulesTestContext;
}

const identities: Identity[] = [
  {
    key: "anonymous",
    label: "an unauthenticated client",
    context: (environment) => environment.unauthenticatedContext(),
  },
  {
    key: "user",
    label: "a client signed in as an ordinary user",
    context: (environment) =>
      environment.authenticatedContext("alice", { email: "alice@example.com", email_verified: true }),
  },
  {
    key: "admin",
    label: "a client signed in with an admin custom claim",
    context: (environment) =>
      environment.authenticatedContext("root", {
        admin: true,
        role: "admin",
        email: "admin@example.com",
        email_verified: true,
      }),
  },
];

interface Collection {
  name: string;
  /** A field every seeded document carries, holding its own id: what the query filters on. */
  field: string;
  seed(id: string): Record<string, unknown>;
}

const collections: Collection[] = [
  {
    name: "services",
    field: "messageId",
    // services/{key} as the function writes it (functions/src/documents.ts and store.ts).
    seed: (id) => ({
      ip: "192.0.2.7",
      port: 443,
      service: "HTTP",
      response: "hello world",
      responseSize: 11,
      responseSha256: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
      responseTruncated: false,
      scannedAt: new Date("2024-11-22T08:00:00Z"),
      dataVersion: 2,
      messageId: id,
      publishTime: new Date("2024-11-22T08:00:01.250Z"),
      updatedAt: new Date("2024-11-22T08:00:02Z"),
    }),
  },
  {
    name: "rejects",
    field: "messageId",
    seed: (id) => ({
      reason: "invalid_json",
      detail: "data is not JSON",
      data: "{oops",
      dataSize: 5,
      dataSha256: "0".repeat(64),
      attributes: {},
      messageId: id,
      publishTime: new Date("2024-11-22T08:00:01Z"),
      rejectedAt: new Date("2024-11-22T08:00:02Z"),
    }),
  },
  {
    // A collection the project does not use: the rules deny every path, not only the two it writes.
    name: "users",
    field: "uid",
    seed: (id) => ({ uid: id, displayName: "Alice", plan: "free" }),
  },
];

/** What one client call works on: a seeded document of its own, and an id nobody has written. */
interface Target {
  collection: Collection;
  existing: string;
  fresh: string;
  /** A seeded document in a subcollection of the same name, which only a collection-group query finds. */
  nested: string;
}

interface Operation {
  key: string;
  label: string;
  read: boolean;
  /** The rule methods the emulator names in its denial ("false for 'update' @ L9"). */
  methods: string[];
  /** The ids of the documents read (reads), or nothing (writes). */
  run(db: ClientDb, target: Target): Promise<string[]>;
}

const clientMark = { by: "client", run };

const operations: Operation[] = [
  {
    key: "get",
    methods: ["get"],
    label: "get a document",
    read: true,
    run: async (db, t) => {
      const snapshot = await db.collection(t.collection.name).doc(t.existing).get();
      return snapshot.exists ? [snapshot.id] : [];
    },
  },
  {
    key: "list",
    methods: ["list"],
    label: "list the collection",
    read: true,
    run: async (db, t) => (await db.collection(t.collection.name).get()).docs.map((d) => d.id),
  },
  {
    key: "query",
    methods: ["list"],
    label: "query the collection by a field",
    read: true,
    run: async (db, t) =>
      (await db.collection(t.collection.name).where(t.collection.field, "==", t.existing).get()).docs.map(
        (d) => d.id,
      ),
  },
  {
    key: "group",
    methods: ["list"],
    label: "run a collection-group query",
    read: true,
    run: async (db, t) => (await db.collectionGroup(t.collection.name).get()).docs.map((d) => d.id),
  },
  {
    key: "listen",
    methods: ["get"],
    label: "listen to a document",
    read: true,
    run: (db, t) =>
      new Promise<string[]>((resolve, reject) => {
        const stop = db
          .collection(t.collection.name)
          .doc(t.existing)
          .onSnapshot(
            { includeMetadataChanges: true },
            (snapshot) => {
              if (snapshot.metadata.fromCache) return; // only the server's answer counts
              stop();
              resolve(snapshot.exists ? [snapshot.id] : []);
            },
            (error) => {
              stop();
              reject(error);
            },
          );
      }),
  },
  {
    key: "create",
    methods: ["create", "update"],
    label: "create a document",
    read: false,
    run: async (db, t) => {
      await db
        .collection(t.collection.name)
        .doc(t.fresh)
        .set({ ...t.collection.seed(t.fresh), ...clientMark });
      return [];
    },
  },
  {
    key: "add",
    methods: ["create"],
    label: "add a document with a generated id",
    read: false,
    run: async (db, t) => {
      await db.collection(t.collection.name).add({ ...t.collection.seed(t.fresh), ...clientMark });
      return [];
    },
  },
  {
    key: "update",
    methods: ["update"],
    label: "update a document",
    read: false,
    run: async (db, t) => {
      await db.collection(t.collection.name).doc(t.existing).update(clientMark);
      return [];
    },
  },
  {
    key: "overwrite",
    methods: ["create", "update"],
    label: "overwrite a document",
    read: false,
    run: async (db, t) => {
      await db
        .collection(t.collection.name)
        .doc(t.existing)
        .set({ ...t.collection.seed(t.existing), ...clientMark });
      return [];
    },
  },
  {
    key: "delete",
    methods: ["delete"],
    label: "delete a document",
    read: false,
    run: async (db, t) => {
      await db.collection(t.collection.name).doc(t.existing).delete();
      return [];
    },
  },
  {
    key: "batch",
    methods: ["update"],
    label: "write in a batch",
    read: false,
    run: async (db, t) => {
      const batch = db.batch();
      batch.update(db.collection(t.collection.name).doc(t.existing), clientMark);
      batch.set(db.collection(t.collection.name).doc(t.fresh), {
        ...t.collection.seed(t.fresh),
        ...clientMark,
      });
      await batch.commit();
      return [];
    },
  },
];

const target = (identity: Identity, collection: Collection, operation: Operation): Target => {
  const id = `${run}-${identity.key}-${operation.key}`;
  return { collection, existing: id, fresh: `${id}-new`, nested: `${id}-nested` };
};

const cases = identities.flatMap((identity) =>
  collections.flatMap((collection) => operations.map((operation) => ({ identity, collection, operation }))),
);
type Case = (typeof cases)[number];
/** [test name, case]: vitest prints a `%s` name in full, where `$field` names are quoted and cut short. */
const named = (sentence: (c: Case) => string) => cases.map((c) => [sentence(c), c] as const);

/** Seed every target's documents into `environment`'s project, bypassing its rules. */
async function seed(environment: RulesTestEnvironment): Promise<void> {
  await environment.withSecurityRulesDisabled(async (context) => {
    const db = context.firestore();
    const batch = db.batch();
    for (const { identity, collection, operation } of cases) {
      const t = target(identity, collection, operation);
      batch.set(db.collection(collection.name).doc(t.existing), collection.seed(t.existing));
      batch.set(
        db.collection("parents").doc(run).collection(collection.name).doc(t.nested),
        collection.seed(t.nested),
      );
    }
    await batch.commit();
  });
}

let rulesEnvironment: RulesTestEnvironment | undefined;
let openEnvironment: RulesTestEnvironment | undefined;
const clients = new Map<string, ClientDb>();
let admin: Firestore | undefined;

const clientOf = (environment: "rules" | "open", identity: Identity): ClientDb => {
  const db = clients.get(`${environment}/${identity.key}`);
  if (!db) throw new Error(`no ${environment} client for ${identity.key}: beforeAll did not finish`);
  return db;
};

beforeAll(async () => {
  if (!emulatorHost) {
    throw new Error(
      "This test needs Google's Firestore emulator: start it and set FIRESTORE_EMULATOR_HOST to its host:port.",
    );
  }
  // Each refused write would otherwise be logged by the client SDK as well as asserted here.
  setLogLevel("silent");
  // No Google metadata server exists here; without this the server client looks for one and warns.
  process.env.METADATA_SERVER_DETECTION ??= "none";
  const separator = emulatorHost.lastIndexOf(":");
  const host = emulatorHost.slice(0, separator);
  const port = Number(emulatorHost.slice(separator + 1));
  rulesEnvironment = await initializeTestEnvironment({
    projectId: project,
    firestore: { rules: readFileSync(RULES, "utf8"), host, port },
  });
  openEnvironment = await initializeTestEnvironment({
    projectId: openProject,
    firestore: { rules: ALLOW_ALL, host, port },
  });
  await Promise.all([seed(rulesEnvironment), seed(openEnvironment)]);
  for (const identity of identities) {
    clients.set(`rules/${identity.key}`, identity.context(rulesEnvironment).firestore());
    clients.set(`open/${identity.key}`, identity.context(openEnvironment).firestore());
  }
  admin = emulatorFirestore({ host: emulatorHost, projectId: project });
});

afterAll(async () => {
  await rulesEnvironment?.cleanup();
  await openEnvironment?.cleanup();
  await admin?.terminate();
});

const adminDb = (): Firestore => {
  if (!admin) throw new Error("no server client: beforeAll did not finish");
  return admin;
};

describe("the repository's firestore.rules", () => {
  const rulesLines = readFileSync(RULES, "utf8").split("\n");
  const denied = named((c) => `${c.identity.label} cannot ${c.operation.label} in ${c.collection.name}`);

  test.for(denied)("%s", async ([, { identity, collection, operation }]) => {
    const db = clientOf("rules", identity);
    const error = (await assertFails(operation.run(db, target(identity, collection, operation)))) as {
      code?: string;
      message?: string;
    };
    expect(error.code).toBe("permission-denied");
    // The emulator says which rule said no: an `allow` line of firestore.rules, for each method it checked.
    const reasons = [...(error.message ?? "").matchAll(/false for '(\w+)' @ L(\d+)/g)];
    expect(reasons.map(([, method]) => method)).toEqual(operation.methods);
    for (const [, , line] of reasons)
      expect(rulesLines[Number(line) - 1]).toMatch(/^\s*allow\b.*\bif false;/);
  });

  test("no refused client call changed, deleted or created a document", async () => {
    const db = adminDb();
    for (const { identity, collection, operation } of cases) {
      const t = target(identity, collection, operation);
      const seeded = await db.collection(collection.name).doc(t.existing).get();
      expect(seeded.exists, `${collection.name}/${t.existing}`).toBe(true);
      expect(seeded.get("by"), `${collection.name}/${t.existing}`).toBeUndefined();
      expect((await db.collection(collection.name).doc(t.fresh).get()).exists).toBe(false);
    }
    for (const collection of collections) {
      const written = await db.collectionGroup(collection.name).where("run", "==", run).get();
      expect(written.docs.map((d) => d.ref.path)).toEqual([]);
    }
  });
});

describe("the positive control: the same client calls under allow-all rules in another project", () => {
  const allowed = named((c) => `${c.identity.label} can ${c.operation.label} in ${c.collection.name}`);
  test.for(allowed)("%s", async ([, { identity, collection, operation }]) => {
    const t = target(identity, collection, operation);
    const ids = await assertSucceeds(operation.run(clientOf("open", identity), t));
    if (operation.read) expect(ids).toContain(t.existing);
    if (operation.key === "group") expect(ids).toContain(t.nested);
  });
});

describe("the server client, which rules do not govern", () => {
  const ip = `198.18.${randomInt(256)}.${randomInt(256)}`;
  const key = documentKey({ ip, port: 443, service: "http" });
  const storedId = `ingest-${run}`;
  const rejectedId = `ingest-${run}-reject`;
  const logs: MessageLog[] = [];

  test("the ingest function's own store writes a scan to services and a malformed message to rejects", async () => {
    const config = parseConfig({ FIRESTORE_EMULATOR_HOST: emulatorHost, GOOGLE_CLOUD_PROJECT: project });
    // The function's own Firestore client, configured as in production but for the emulator.
    const firestore = createFirestore(config);
    const ingest = createIngestScan({
      config,
      store: () => firestoreStore(firestore, config),
      log: (entry) => logs.push(entry),
    });
    const publishTime = new Date().toISOString();
    const event = (messageId: string, data: string) => ({
      id: messageId,
      time: publishTime,
      data: {
        message: {
          data: Buffer.from(data).toString("base64"),
          messageId,
          publishTime,
          attributes: { origin: "rules-test" },
        },
        subscription: `projects/${project}/subscriptions/scan-sub`,
      },
    });
    const scan = {
      ip,
      port: 443,
      service: "http",
      timestamp: Math.floor(Date.now() / 1000),
      data_version: 2,
      data: { response_str: "HTTP/1.1 200 OK" },
    };
    try {
      await ingest(event(storedId, JSON.stringify(scan)));
      await ingest(event(rejectedId, "{oops"));
    } finally {
      await firestore.terminate();
    }
    expect(logs.map((entry) => entry.outcome)).toEqual(["stored", "rejected"]);

    const service = await adminDb().collection("services").doc(key).get();
    expect(service.data()).toMatchObject({
      ip,
      port: 443,
      service: "HTTP",
      response: "HTTP/1.1 200 OK",
      responseSize: 15,
      responseTruncated: false,
      scannedAt: new Timestamp(scan.timestamp, 0),
      dataVersion: 2,
      messageId: storedId,
    });
    expect(service.get("updatedAt")).toBeInstanceOf(Timestamp);
    const reject = await adminDb().collection("rejects").doc(rejectedId).get();
    expect(reject.data()).toMatchObject({
      reason: "invalid_json",
      data: "{oops",
      dataSize: 5,
      attributes: { origin: "rules-test" },
      messageId: rejectedId,
    });
    expect(reject.get("rejectedAt")).toBeInstanceOf(Timestamp);
  });

  test.for(identities.map((identity) => [identity.label, identity] as const))(
    "%s cannot read what the ingest function stored",
    async ([, identity]) => {
      const db = clientOf("rules", identity);
      await assertFails(db.collection("services").doc(key).get());
      await assertFails(db.collection("rejects").doc(rejectedId).get());
    },
  );

  test("the server client creates, reads, updates and deletes services and rejects documents", async () => {
    const db = adminDb();
    const services = db.collection("services");
    const rejects = db.collection("rejects");
    const serviceRef = services.doc(`203.0.113.${randomInt(256)}:22:SSH-${run}`);
    const rejectRef = rejects.doc(`admin-${run}`);
    await serviceRef.create({
      ...collections[0]!.seed(`admin-${run}`),
      scannedAt: Timestamp.fromDate(new Date("2024-11-22T08:00:00Z")),
    });
    await rejectRef.create(collections[1]!.seed(`admin-${run}`));
    await serviceRef.update({ response: "SSH-2.0-OpenSSH_9.6", responseSize: 19 });
    await rejectRef.update({ detail: "still not JSON" });
    expect((await serviceRef.get()).get("response")).toBe("SSH-2.0-OpenSSH_9.6");
    expect((await rejectRef.get()).get("detail")).toBe("still not JSON");
    const listed = await services.where("messageId", "==", `admin-${run}`).get();
    expect(listed.docs.map((d) => d.id)).toEqual([serviceRef.id]);
    await serviceRef.delete();
    await rejectRef.delete();
    expect((await serviceRef.get()).exists).toBe(false);
    expect((await rejectRef.get()).exists).toBe(false);
  });

  const scans = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const env = { ...process.env, FIRESTORE_EMULATOR_HOST: emulatorHost, GOOGLE_CLOUD_PROJECT: project };
      execFile(process.execPath, [SCANS, ...args], { env }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
      );
    });

  test("npm run scans get prints the service the ingest function stored", async () => {
    const found = await scans("get", ip, "443", "http");
    expect(found.stderr).toBe("");
    expect(found.code).toBe(0);
    expect(found.stdout).toMatch(new RegExp(`^key\\s+${key.replaceAll(".", "\\.")}$`, "m"));
    expect(found.stdout).toMatch(/^response\s+HTTP\/1\.1 200 OK$/m);
    expect(found.stdout).toMatch(new RegExp(`^messageId\\s+${storedId}$`, "m"));
  });

  test("npm run scans rejects prints the message the ingest function rejected", async () => {
    const found = await scans("rejects", "--reason", "invalid_json", "--json");
    expect(found.code).toBe(0);
    const rejected = found.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rejected.find((document) => document.id === rejectedId)).toMatchObject({
      reason: "invalid_json",
      data: "{oops",
      messageId: rejectedId,
    });
  });
});

// The tools' emulator clients: both reach the embedded emulators, and neither makes the auth library look for
// credentials or a metadata server first (the universe domain they name), which would cost each tool's first
// call the probe and print a MetadataLookupWarning off Google Cloud.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { start as startFirestore, type FirestoreEmulator } from "@scan-ingest/emulator-firestore";
import { start as startPubsub, type PubSubEmulator } from "@scan-ingest/emulator-pubsub";
import { afterAll, beforeAll, expect, test } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
let firestore: FirestoreEmulator;
let pubsub: PubSubEmulator;

beforeAll(async () => {
  [firestore, pubsub] = await Promise.all([startFirestore({ port: 0 }), startPubsub({ port: 0 })]);
});
afterAll(() => Promise.all([firestore?.stop(), pubsub?.stop()]));

// In a process of its own, with neither the detection switch nor credentials in its environment.
const script = `
import { emulatorFirestore, emulatorPubSub } from "@scan-ingest/pipeline/clients";
const [firestoreHost, pubsubHost] = process.argv.slice(1);
const db = emulatorFirestore({ host: firestoreHost, projectId: "demo-clients" });
await db.doc("tools/one").set({ n: 1 });
const stored = (await db.doc("tools/one").get()).data();
await db.terminate();
const client = emulatorPubSub({ host: pubsubHost, projectId: "demo-clients" });
const [topic] = await client.createTopic("tools");
const messageId = await topic.publishMessage({ data: Buffer.from("hello") });
await client.close();
process.stdout.write(JSON.stringify({ stored, topic: topic.name, published: typeof messageId }));
`;

test("a Firestore and a Pub/Sub client reach the emulators without probing for a metadata server", async () => {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", script, firestore.host, pubsub.host],
    { cwd: root, env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent" } },
  );
  expect(JSON.parse(stdout)).toEqual({
    stored: { n: 1 },
    topic: "projects/demo-clients/topics/tools",
    published: "string",
  });
  expect(stderr).not.toContain("MetadataLookupWarning");
  expect(stderr).toBe("");
});

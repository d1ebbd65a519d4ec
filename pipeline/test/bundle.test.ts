// The deployable bundle: built into a temporary directory and served by the functions-framework CLI, through
// the pipeline's launcher, exactly as `npx functions-framework --source=functions/dist ...` does, against the
// embedded emulator.
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFunctionServer, type FunctionServer } from "@scan-ingest/pipeline/function-server";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildFunction } from "@scan-ingest/functions/build";
import {
  deliver,
  firestoreClient,
  scanJson,
  startFirestore,
  type FirestoreTarget,
} from "@scan-ingest/functions/testing";

const repositoryRoot = new URL("../../", import.meta.url).pathname;
let outdir: string;
let firestore: FirestoreTarget;
let server: FunctionServer | undefined;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), "ingest-dist-"));
  await buildFunction(outdir);
  // Stands in for the `npm install` the runtime does from dist/package.json.
  await symlink(join(repositoryRoot, "node_modules"), join(outdir, "node_modules"));
  firestore = await startFirestore();
});

afterAll(async () => {
  await server?.kill();
  await firestore?.stop();
  await rm(outdir, { recursive: true, force: true });
});

test("writes a deployable package.json: functions-framework and the docs page's files are the only dependencies", async () => {
  const manifest = JSON.parse(await readFile(join(outdir, "package.json"), "utf8"));
  expect(manifest).toMatchObject({ main: "index.js", engines: { node: "24" } });
  expect(Object.keys(manifest.dependencies)).toEqual([
    "@google-cloud/functions-framework",
    "swagger-ui-dist",
  ]);
});

test("the bundle served by the functions-framework CLI stores a scan", async () => {
  const lines: string[] = [];
  server = await startFunctionServer({
    source: outdir,
    target: "ingestScan",
    env: {
      PATH: process.env.PATH,
      FIRESTORE_EMULATOR_HOST: firestore.host,
      SERVICES_COLLECTION: "services-build",
    },
    onLine: (text) => lines.push(text),
  });
  const now = Math.floor(Date.now() / 1000);
  const data = scanJson({ ip: "::ffff:10.0.0.1", timestamp: now, response: "from the bundle" });
  const response = await deliver(server.url, "push", { data, messageId: "bundle-1" });
  expect(response.status).toBe(204);
  const client = firestoreClient(firestore.host);
  const document = await client.collection("services-build").doc("10.0.0.1:443:HTTP").get();
  await client.terminate();
  expect(document.get("response")).toBe("from the bundle");
  // No project is set: with an emulator the function defaults to demo-scan, where the client reads.
  const line = lines.find((text) => text.includes('"messageId":"bundle-1"'));
  expect(JSON.parse(line!)).toMatchObject({ severity: "INFO", outcome: "stored", key: "10.0.0.1:443:HTTP" });
});

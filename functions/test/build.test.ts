// The deployable bundle: built into a temporary directory and served by the functions-framework CLI,
// exactly as `npx functions-framework --source=functions/dist ...` does, against the embedded emulator.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildFunction } from "../build.ts";
import { deliver, firestoreClient, scanJson, startFirestore, type FirestoreTarget } from "./harness.ts";

const repositoryRoot = new URL("../../", import.meta.url).pathname;
const frameworkCli = join(repositoryRoot, "node_modules/@google-cloud/functions-framework/build/src/main.js");
let outdir: string;
let firestore: FirestoreTarget;
let child: ChildProcess | undefined;
let output = "";

/** A port the OS says is free now (the CLI needs a number, not 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), "ingest-dist-"));
  await buildFunction(outdir);
  // Stands in for the `npm install` the runtime does from dist/package.json.
  await symlink(join(repositoryRoot, "node_modules"), join(outdir, "node_modules"));
  firestore = await startFirestore();
});

afterAll(async () => {
  child?.kill();
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
  const port = await freePort();
  const args = [
    "--source",
    outdir,
    "--target",
    "ingestScan",
    "--signature-type",
    "cloudevent",
    "--port",
    String(port),
  ];
  child = spawn(process.execPath, [frameworkCli, ...args], {
    env: {
      PATH: process.env.PATH,
      FIRESTORE_EMULATOR_HOST: firestore.host,
      SERVICES_COLLECTION: "services-build",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    child!.stdout!.on("data", () => output.includes("Serving function") && resolve());
    child!.on("exit", (code) => reject(new Error(`functions-framework exited with ${code}: ${output}`)));
  });
  const now = Math.floor(Date.now() / 1000);
  const data = scanJson({ ip: "::ffff:10.0.0.1", timestamp: now, response: "from the bundle" });
  const response = await deliver(`http://127.0.0.1:${port}`, "push", { data, messageId: "bundle-1" });
  expect(response.status).toBe(204);
  const client = firestoreClient(firestore.host);
  const document = await client.collection("services-build").doc("10.0.0.1:443:HTTP").get();
  await client.terminate();
  expect(document.get("response")).toBe("from the bundle");
  // No project is set: with an emulator the function defaults to demo-scan, where the client reads.
  const line = output.split("\n").find((text) => text.includes('"messageId":"bundle-1"'));
  expect(JSON.parse(line!)).toMatchObject({ severity: "INFO", outcome: "stored", key: "10.0.0.1:443:HTTP" });
});

// Run under `firebase emulators:exec` by test/firebase/suite.ts: publishes the model-checked workload to the
// topic ingestScan's Firebase entry listens on, waits until Firestore holds what the model says, and writes
// what it found as JSON to the file argv[2]. `--rules`: also try a web client, which firestore.rules must deny.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { deleteApp, initializeApp } from "firebase/app";
import {
  collection as collectionOf,
  connectFirestoreEmulator,
  getDocs,
  getFirestore,
  limit,
  query,
  setLogLevel,
  terminate,
} from "firebase/firestore";
import { deploySettings } from "@scan-ingest/functions/deploy-settings";
import { emulatorFirestore, emulatorPubSub } from "@scan-ingest/pipeline/clients";
import { differences, historyReader } from "../reliability/harness.ts";
import { expectedState, type PublishedMessage } from "../reliability/model.ts";
import { createWorkload } from "../reliability/workload.ts";
import { WAVE, WORKLOAD, type WorkloadResult } from "./suite.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rules: { type: "boolean", default: false } },
});
const [out] = positionals;
const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST;
const pubsubHost = process.env.PUBSUB_EMULATOR_HOST;
const projectId = process.env.GOOGLE_CLOUD_PROJECT ?? process.env.GCLOUD_PROJECT;
if (!out || !firestoreHost || !pubsubHost || !projectId)
  throw new Error(
    "usage: workload.ts OUT, with FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST and a project set",
  );

const workload = createWorkload(WORKLOAD);
const pubsub = emulatorPubSub({ host: pubsubHost, projectId });
const firestore = emulatorFirestore({ host: firestoreHost, projectId });
const topic = pubsub.topic(deploySettings.topic);
const run = {
  services: "services",
  rejects: "rejects",
  async read(collection: string) {
    const snapshot = await firestore.collection(collection).get();
    return new Map(snapshot.docs.map((document) => [document.id, document.data()]));
  },
  history: historyReader(firestore, "services"),
};

// In waves, each checked against the model of everything published so far: the Functions emulator runs each
// message in flight in a Node process of its own, so a burst of the whole workload would start sixty.
const published: PublishedMessage[] = [];
const deadline = Date.now() + 150_000;
let problems: string[] = [];
for (let first = 0; first < workload.length; first += WAVE) {
  const wave = workload.slice(first, first + WAVE);
  const ids = await Promise.all(wave.map(({ data }) => topic.publishMessage({ data })));
  wave.forEach(({ scan, reason }, index) =>
    published.push({ messageId: ids[index]!, ...(scan && { scan }), ...(reason && { reason }) }),
  );
  const expected = expectedState(published);
  problems = await differences(run, expected);
  while (problems.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    problems = await differences(run, expected);
  }
  if (problems.length > 0) break;
}

const result: WorkloadResult = { published: published.length, problems };
if (values.rules) result.webClient = await webClientRead(firestoreHost, projectId, run.services);
writeFileSync(out, JSON.stringify(result));
await Promise.all([pubsub.close(), firestore.terminate()]);

/** Lists a collection as a signed-out web client would; returns the error code, or "allowed". */
async function webClientRead(host: string, project: string, collection: string): Promise<string> {
  setLogLevel("silent");
  const [hostname = "", port = ""] = host.split(":");
  const app = initializeApp({ projectId: project }, "rules");
  const db = getFirestore(app);
  connectFirestoreEmulator(db, hostname, Number(port));
  try {
    await getDocs(query(collectionOf(db, collection), limit(1)));
    return "allowed";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await terminate(db);
    await deleteApp(app);
  }
}

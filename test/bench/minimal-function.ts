// The floor of coldStart.overhead and of handler.frameworkFloorRatio: a function that does nothing but one
// SDK transaction per message, bundled by functions/build.ts exactly like ingestScan, and like it running
// whole outside functions-framework's per-request domain. What ingestScan costs above it is ours.
import functions from "@google-cloud/functions-framework";
import { FieldValue, Firestore } from "@google-cloud/firestore";
import { outsideRequestDomain } from "@scan-ingest/functions/request-domain";

const firestore = new Firestore({
  projectId: process.env.GOOGLE_CLOUD_PROJECT,
  host: process.env.FIRESTORE_EMULATOR_HOST,
  ssl: false,
});

async function transaction(id: string): Promise<void> {
  const reference = firestore.collection("minimal").doc(id);
  await firestore.runTransaction(async (transaction) => {
    await transaction.get(reference);
    transaction.set(reference, { updatedAt: FieldValue.serverTimestamp() });
  });
}

functions.cloudEvent("ingestScan", (event: { id: string }) =>
  outsideRequestDomain(() => transaction(event.id)),
);

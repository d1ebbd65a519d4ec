// The floor of coldStart.overhead: a function that does nothing but one SDK transaction per message,
// bundled by functions/build.ts exactly like ingestScan. Whatever ingestScan costs above it is our code.
import functions from "@google-cloud/functions-framework";
import { FieldValue, Firestore } from "@google-cloud/firestore";

const firestore = new Firestore({
  projectId: process.env.GOOGLE_CLOUD_PROJECT,
  host: process.env.FIRESTORE_EMULATOR_HOST,
  ssl: false,
});

functions.cloudEvent("ingestScan", async (event: { id: string }) => {
  const reference = firestore.collection("minimal").doc(event.id);
  await firestore.runTransaction(async (transaction) => {
    await transaction.get(reference);
    transaction.set(reference, { updatedAt: FieldValue.serverTimestamp() });
  });
});

// The floor of coldStart.overhead and of handler.ofFloor: a function that does nothing but one SDK
// transaction per message, bundled by functions/build.ts exactly like ingestScan, and like it running whole
// outside functions-framework's per-request domain. The message's data is the document to write (the
// handler bench sends what ingestScan stores for its own message: stored.ts), so the transaction is the same
// size; no validation, no canonical forms, no history, no log line. What ingestScan costs above it is ours.
import functions from "@google-cloud/functions-framework";
import { FieldValue, Firestore } from "@google-cloud/firestore";
import { outsideRequestDomain } from "@scan-ingest/functions/request-domain";

const firestore = new Firestore({
  projectId: process.env.GOOGLE_CLOUD_PROJECT,
  host: process.env.FIRESTORE_EMULATOR_HOST,
  ssl: false,
});

interface PushEvent {
  id: string;
  data?: { message?: { data?: string } };
}

async function transaction(event: PushEvent): Promise<void> {
  const fields = JSON.parse(
    Buffer.from(event.data?.message?.data ?? "", "base64").toString("utf8"),
  ) as object;
  const reference = firestore.collection("minimal").doc(event.id);
  await firestore.runTransaction(async (transaction) => {
    await transaction.get(reference);
    transaction.set(reference, { ...fields, updatedAt: FieldValue.serverTimestamp() });
  });
}

functions.cloudEvent("ingestScan", (event: PushEvent) => outsideRequestDomain(() => transaction(event)));

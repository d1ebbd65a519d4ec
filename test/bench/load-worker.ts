// A child process that drives one load run and reports its duration: either push deliveries to a
// function server over HTTP, or the same get+set transactions straight through the Firestore SDK.
// Both run here, in a process of their own, so the emulator's process serves them alike.
import type { Firestore } from "@google-cloud/firestore";
import { emulatorFirestore } from "@scan-ingest/pipeline/clients";
import { DEFAULT_PROJECT } from "@scan-ingest/pipeline/defaults";
import { deliverPush, inParallel } from "./measure.ts";
import { storedDocuments } from "./stored.ts";

export interface LoadMessage {
  data: string;
  messageId: string;
}

export type LoadRequest =
  | { mode: "http"; url: string; concurrency: number; messages: LoadMessage[] }
  | { mode: "sdk"; firestoreHost: string; collection: string; concurrency: number; messages: LoadMessage[] };

export interface LoadResult {
  elapsedMs: number;
  failures: number;
  /** CPU this process used during the run. */
  cpuMs: number;
}

let firestore: Firestore | undefined;

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function run(request: LoadRequest): Promise<LoadResult> {
  let failures = 0;
  if (request.mode === "http") {
    const started = performance.now();
    const cpu = process.cpuUsage();
    await inParallel(request.messages, request.concurrency, async ({ data, messageId }) => {
      if ((await deliverPush(request.url, data, messageId)) !== 204) failures++;
    });
    return { elapsedMs: performance.now() - started, failures, cpuMs: cpuMsSince(cpu) };
  }
  firestore ??= emulatorFirestore({ host: request.firestoreHost, projectId: DEFAULT_PROJECT });
  const collection = firestore.collection(request.collection);
  const documents = storedDocuments(request.messages);
  const started = performance.now();
  const cpu = process.cpuUsage();
  await inParallel(documents, request.concurrency, async ({ key, fields }) => {
    const reference = collection.doc(key);
    try {
      await firestore!.runTransaction(async (transaction) => {
        await transaction.get(reference);
        transaction.set(reference, fields);
      });
    } catch {
      failures++;
    }
  });
  return { elapsedMs: performance.now() - started, failures, cpuMs: cpuMsSince(cpu) };
}

process.on("message", (request: LoadRequest) => {
  run(request).then(
    (result) => process.send!(result),
    (error: unknown) => process.send!({ error: String((error as Error).stack ?? error) }),
  );
});
process.on("disconnect", () => {
  void firestore?.terminate().finally(() => process.exit(0));
  if (firestore === undefined) process.exit(0);
});

// Entry point for the Firebase CLI (firebase emulators:start, firebase deploy): the same ingestScan as
// index.ts, declared with firebase-functions so the CLI's own discovery finds it. Sized from deploy.json
// where firebase-functions can say it; the dead-letter topic it cannot (docs/firebase.md).
import type { MemoryOption } from "firebase-functions/v2/options";
import { onMessagePublished } from "firebase-functions/v2/pubsub";
import { deploySettings as deploy } from "./deploy-settings.ts";
import { ingestScan as ingest } from "./instance.ts";

/** deploy.json's Cloud Run memory ("1Gi") in firebase-functions' spelling ("1GiB"). */
function memory(cloudRun: string): MemoryOption {
  const match = /^(\d+)(Mi|Gi)$/.exec(cloudRun);
  if (!match) throw new Error(`functions/deploy.json: memory ${JSON.stringify(cloudRun)} is not NMi or NGi`);
  return `${match[1]}${match[2]}B` as MemoryOption;
}

export const ingestScan = onMessagePublished(
  {
    topic: deploy.topic,
    region: deploy.region,
    // A throw means "redeliver" (docs/contract.md §5): without retry, Eventarc would drop the message.
    retry: true,
    cpu: Number(deploy.cpu),
    memory: memory(deploy.memory),
    concurrency: deploy.concurrency,
    minInstances: deploy.minInstances,
    maxInstances: deploy.maxInstances,
    timeoutSeconds: deploy.timeoutSeconds,
    ingressSettings: deploy.ingress,
  },
  (event) => ingest(event),
);

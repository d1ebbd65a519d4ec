// functions/deploy.json, typed: how both functions are deployed. Terraform (infra/main.tf), `npm run deploy`
// (cli/deploy) and the Firebase entry (firebase.ts) all read this one file.
import settings from "../deploy.json" with { type: "json" };

/** How a function is sized; both functions have each value in functions/deploy.json. */
export interface Sizing {
  cpu: string;
  memory: string;
  concurrency: number;
  minInstances: number;
  maxInstances: number;
  timeoutSeconds: number;
  /** Terraform's ingress_settings value: ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB. */
  ingress: "ALLOW_ALL" | "ALLOW_INTERNAL_ONLY" | "ALLOW_INTERNAL_AND_GCLB";
}

/** functions/deploy.json: the function's sizing, each value with its reason in `why`, and its names. */
export interface DeploySettings extends Sizing {
  function: string;
  region: string;
  runtime: string;
  entryPoint: string;
  source: string;
  topic: string;
  deadLetterTopic: string;
  maxDeliveryAttempts: number;
  /** How long Eventarc's subscription keeps an undelivered message (gcloud duration, e.g. 7d). */
  messageRetention: string;
  /** How long the dead-letter subscription keeps what it holds, and its ack deadline, in seconds. */
  deadLetterRetentionSeconds: number;
  deadLetterAckDeadlineSeconds: number;
  /** One line per sizing value saying why it is what it is (docs/deploy.md points here). */
  why: Record<string, string>;
  /** scansApi, the private read API deployed from the same source. */
  api: ApiSettings;
  /** Terraform's optional BigQuery subscription of every message (infra/bigquery.tf): its names. */
  observations: { subscription: string; dataset: string; table: string };
}

/** functions/deploy.json's `api` block: scansApi's names and sizing, each sizing value with its reason in `why`. */
export interface ApiSettings extends Sizing {
  function: string;
  entryPoint: string;
  /** The account ID of its own service account (read-only Firestore access). */
  serviceAccount: string;
  /** The Secret Manager secret holding PAGE_TOKEN_SECRET. */
  pageTokenSecret: string;
  /** One line per sizing value saying why it is what it is. */
  why: Record<string, string>;
}

/** The deployment as functions/deploy.json states it. */
export const deploySettings = settings as DeploySettings;

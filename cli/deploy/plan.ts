// The deployment as gcloud commands, built from functions/deploy.json (which Terraform reads too), so that
// `npm run deploy`, its --dry-run and infra/ cannot drift apart.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import type { DeploySettings, Sizing } from "@scan-ingest/functions/deploy-settings";

export type { ApiSettings, DeploySettings, Sizing } from "@scan-ingest/functions/deploy-settings";

/** IAM members that would make a function public: neither deployment may ever grant them an invoker role. */
export const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"] as const;

/** gcloud's --ingress-settings spelling of Terraform's value: ALLOW_INTERNAL_ONLY -> internal-only. */
export function gcloudIngress(terraformValue: string): string {
  return terraformValue
    .replace(/^ALLOW_/, "")
    .toLowerCase()
    .replaceAll("_", "-");
}

export const settingsPath = createRequire(import.meta.url).resolve("@scan-ingest/functions/deploy.json");

/** Reads functions/deploy.json. */
export function loadSettings(path = settingsPath): DeploySettings {
  return JSON.parse(readFileSync(path, "utf8")) as DeploySettings;
}

/** A value one step prints and a later step uses: `NAME=$(...)` in the shell form. */
export type Capture = "TRIGGER" | "SUB" | "PROJECT_NUMBER";

export interface Step {
  /** The command; an argument may contain `$TRIGGER`, `$SUB` or `$PROJECT_NUMBER` from an earlier step. */
  argv: string[];
  /** "random": the command reads a fresh random key on stdin (`openssl rand -base64 32 |` in the shell form). */
  stdin?: "random";
  /** The step's trimmed output (for TRIGGER: its last path segment) becomes this variable. */
  capture?: Capture;
}

/**
 * Every command of a deployment, in order: build, function, dead-letter topic and subscription, Eventarc's
 * subscription, then scansApi with its account, its page-token secret and one invoker binding per principal.
 */
export function deploySteps(
  settings: DeploySettings,
  project: string,
  invokers: readonly string[] = [],
): Step[] {
  return [...ingestSteps(settings, project), ...apiSteps(settings, project, invokers)];
}

function ingestSteps(settings: DeploySettings, project: string): Step[] {
  const s = settings;
  const gcloud = (...args: string[]) => ["gcloud", ...args, `--project=${project}`];
  const pubsubAgent = "serviceAccount:service-$PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com";
  return [
    { argv: ["npm", "run", "build"] },
    {
      argv: gcloud(
        ...functionDeploy(s, s.function, s.entryPoint, s, [`--trigger-topic=${s.topic}`, "--retry"]),
        `--ingress-settings=${gcloudIngress(s.ingress)}`,
      ),
    },
    { argv: gcloud("pubsub", "topics", "create", s.deadLetterTopic) },
    {
      argv: gcloud(
        "pubsub",
        "subscriptions",
        "create",
        `${s.deadLetterTopic}-sub`,
        `--topic=${s.deadLetterTopic}`,
        `--message-retention-duration=${s.deadLetterRetentionSeconds}s`,
        `--ack-deadline=${s.deadLetterAckDeadlineSeconds}`,
      ),
    },
    // Eventarc creates and owns the push subscription: find it through the function's trigger.
    {
      argv: gcloud(
        "functions",
        "describe",
        s.function,
        "--gen2",
        `--region=${s.region}`,
        "--format=value(eventTrigger.trigger)",
      ),
      capture: "TRIGGER",
    },
    {
      argv: gcloud(
        "eventarc",
        "triggers",
        "describe",
        "$TRIGGER",
        `--location=${s.region}`,
        "--format=value(transport.pubsub.subscription)",
      ),
      capture: "SUB",
    },
    {
      argv: gcloud(
        "pubsub",
        "subscriptions",
        "update",
        "$SUB",
        `--dead-letter-topic=${s.deadLetterTopic}`,
        `--max-delivery-attempts=${s.maxDeliveryAttempts}`,
        `--message-retention-duration=${s.messageRetention}`,
      ),
    },
    {
      argv: gcloud("projects", "describe", project, "--format=value(projectNumber)"),
      capture: "PROJECT_NUMBER",
    },
    // Pub/Sub's own agent moves dead letters: it publishes to the topic and acknowledges on the subscription.
    {
      argv: gcloud(
        "pubsub",
        "topics",
        "add-iam-policy-binding",
        s.deadLetterTopic,
        `--member=${pubsubAgent}`,
        "--role=roles/pubsub.publisher",
      ),
    },
    {
      argv: gcloud(
        "pubsub",
        "subscriptions",
        "add-iam-policy-binding",
        "$SUB",
        `--member=${pubsubAgent}`,
        "--role=roles/pubsub.subscriber",
      ),
    },
  ];
}

/** scansApi: private (no unauthenticated calls; run.invoker for `invokers` only), read-only, secret-keyed. */
function apiSteps(settings: DeploySettings, project: string, invokers: readonly string[]): Step[] {
  const api = settings.api;
  const gcloud = (...args: string[]) => ["gcloud", ...args, `--project=${project}`];
  const account = `${api.serviceAccount}@${project}.iam.gserviceaccount.com`;
  return [
    {
      argv: gcloud(
        "iam",
        "service-accounts",
        "create",
        api.serviceAccount,
        "--display-name=scansApi function",
      ),
    },
    // --condition=None: a binding without a condition, instead of gcloud asking when the policy has some.
    {
      argv: gcloud(
        "projects",
        "add-iam-policy-binding",
        project,
        `--member=serviceAccount:${account}`,
        "--role=roles/datastore.viewer",
        "--condition=None",
      ),
    },
    {
      argv: gcloud(
        "secrets",
        "create",
        api.pageTokenSecret,
        "--replication-policy=automatic",
        "--data-file=-",
      ),
      stdin: "random",
    },
    {
      argv: gcloud(
        "secrets",
        "add-iam-policy-binding",
        api.pageTokenSecret,
        `--member=serviceAccount:${account}`,
        "--role=roles/secretmanager.secretAccessor",
      ),
    },
    // Version 1, not latest: every instance must hold the same key (Terraform pins its version too).
    {
      argv: gcloud(
        ...functionDeploy(settings, api.function, api.entryPoint, api, [
          "--trigger-http",
          "--no-allow-unauthenticated",
          `--run-service-account=${account}`,
          `--set-secrets=PAGE_TOKEN_SECRET=${api.pageTokenSecret}:1`,
        ]),
        `--ingress-settings=${gcloudIngress(api.ingress)}`,
      ),
    },
    // On a 2nd-gen function this grants roles/run.invoker on its Cloud Run service.
    ...invokers.map((member) => ({
      argv: gcloud(
        "functions",
        "add-invoker-policy-binding",
        api.function,
        `--region=${settings.region}`,
        `--member=${member}`,
      ),
    })),
  ];
}

/** `functions deploy NAME` as both functions are deployed: 2nd gen from the one build, then its trigger, then its sizing. */
function functionDeploy(
  settings: DeploySettings,
  name: string,
  entryPoint: string,
  sizing: Sizing,
  trigger: string[],
): string[] {
  return [
    "functions",
    "deploy",
    name,
    "--gen2",
    `--region=${settings.region}`,
    `--runtime=${settings.runtime}`,
    `--source=${settings.source}`,
    `--entry-point=${entryPoint}`,
    ...trigger,
    `--cpu=${sizing.cpu}`,
    `--memory=${sizing.memory}`,
    `--concurrency=${sizing.concurrency}`,
    `--min-instances=${sizing.minInstances}`,
    `--max-instances=${sizing.maxInstances}`,
    `--timeout=${sizing.timeoutSeconds}s`,
  ];
}

/** One argument as a POSIX shell word: variables stay expandable, anything else unusual is quoted. */
function shellWord(argument: string): string {
  if (/^[\w@%+=:,./-]+$/.test(argument)) return argument;
  if (/^[\w@%+=:,./$-]+$/.test(argument)) return `"${argument}"`;
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}

/** The step as one shell line, as --dry-run prints it. */
export function shellLine(step: Step): string {
  const command = `${step.stdin === "random" ? "openssl rand -base64 32 | " : ""}${step.argv.map(shellWord).join(" ")}`;
  if (step.capture === "TRIGGER") return `TRIGGER=$(basename "$(${command})")`;
  return step.capture === undefined ? command : `${step.capture}=$(${command})`;
}

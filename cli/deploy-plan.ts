// The deployment as gcloud commands, built from infra/deploy.json (which Terraform reads too), so that
// `npm run deploy`, its --dry-run, the README and infra/ cannot drift apart.
import { readFileSync } from "node:fs";

/** infra/deploy.json: the function's sizing (README "Deploy" says why each value) and its names. */
export interface DeploySettings {
  function: string;
  region: string;
  runtime: string;
  entryPoint: string;
  source: string;
  topic: string;
  deadLetterTopic: string;
  maxDeliveryAttempts: number;
  cpu: string;
  memory: string;
  concurrency: number;
  minInstances: number;
  maxInstances: number;
  timeoutSeconds: number;
  /** How long Eventarc's subscription keeps an undelivered message (gcloud duration, e.g. 7d). */
  messageRetention: string;
}

export const settingsPath = new URL("../infra/deploy.json", import.meta.url).pathname;

/** Reads infra/deploy.json. */
export function loadSettings(path = settingsPath): DeploySettings {
  return JSON.parse(readFileSync(path, "utf8")) as DeploySettings;
}

/** A value one step prints and a later step uses: `NAME=$(...)` in the shell form. */
export type Capture = "TRIGGER" | "SUB" | "PROJECT_NUMBER";

export interface Step {
  /** The command; an argument may contain `$TRIGGER`, `$SUB` or `$PROJECT_NUMBER` from an earlier step. */
  argv: string[];
  /** The step's trimmed output (for TRIGGER: its last path segment) becomes this variable. */
  capture?: Capture;
}

/** Every command of a deployment, in order: build, function, dead-letter topic and subscription, then Eventarc's subscription. */
export function deploySteps(settings: DeploySettings, project: string): Step[] {
  const s = settings;
  const gcloud = (...args: string[]) => ["gcloud", ...args, `--project=${project}`];
  const pubsubAgent = "serviceAccount:service-$PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com";
  return [
    { argv: ["npm", "run", "build"] },
    {
      argv: gcloud(
        "functions",
        "deploy",
        s.function,
        "--gen2",
        `--region=${s.region}`,
        `--runtime=${s.runtime}`,
        `--source=${s.source}`,
        `--entry-point=${s.entryPoint}`,
        `--trigger-topic=${s.topic}`,
        "--retry",
        `--cpu=${s.cpu}`,
        `--memory=${s.memory}`,
        `--concurrency=${s.concurrency}`,
        `--min-instances=${s.minInstances}`,
        `--max-instances=${s.maxInstances}`,
        `--timeout=${s.timeoutSeconds}s`,
        "--ingress-settings=internal-only",
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
        "--message-retention-duration=7d",
        "--ack-deadline=60",
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

/** One argument as a POSIX shell word: variables stay expandable, anything else unusual is quoted. */
function shellWord(argument: string): string {
  if (/^[\w@%+=:,./-]+$/.test(argument)) return argument;
  if (/^[\w@%+=:,./$-]+$/.test(argument)) return `"${argument}"`;
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}

/** The step as one shell line, as --dry-run prints it and README shows it. */
export function shellLine(step: Step): string {
  const command = step.argv.map(shellWord).join(" ");
  if (step.capture === "TRIGGER") return `TRIGGER=$(basename "$(${command})")`;
  return step.capture === undefined ? command : `${step.capture}=$(${command})`;
}

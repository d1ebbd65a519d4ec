// Every gcloud command the project runs or documents — `npm run deploy`, scansApi's steps included, and
// Terraform's dead_letter_setup output — goes through the installed Google Cloud CLI with a placeholder
// project and no credentials. gcloud parses a command's arguments before it asks for an account, so each must
// stop only at "no active account": an unknown flag, a bad value or a missing argument would stop it earlier
// with its own error.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { deploySteps, loadSettings } from "../cli/deploy/plan.ts";

const root = new URL("../", import.meta.url).pathname;
const PROJECT = "placeholder-project";
const NO_ACCOUNT = "You do not currently have an active account selected";
/** What Eventarc, Pub/Sub and Resource Manager would have answered to the steps that capture a value. */
const CAPTURED: Record<string, string> = {
  TRIGGER: "ingest-scan-123456",
  SUB: "eventarc-us-central1-ingest-scan-123456-sub-789",
  PROJECT_NUMBER: "123456789012",
};

/** A shell line's words, with '...' and "..." quoting removed (enough for the lines this project prints). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
}

/** Terraform's dead_letter_setup output as the gcloud commands it prints after apply, with placeholder values. */
function terraformDeadLetterCommands(): string[][] {
  const text = readFileSync(join(root, "infra/outputs.tf"), "utf8");
  const heredoc = /output "dead_letter_setup" \{\s*value = <<-EOT\n([\s\S]*?)\n\s*EOT/.exec(text)?.[1];
  if (heredoc === undefined) throw new Error("infra/outputs.tf has no dead_letter_setup heredoc");
  const settings = loadSettings();
  const values: Record<string, string> = {
    "basename(google_cloudfunctions2_function.ingest_scan.event_trigger[0].trigger)": CAPTURED.TRIGGER!,
    "local.region": settings.region,
    "google_pubsub_topic.dead_letter.id": `projects/${PROJECT}/topics/${settings.deadLetterTopic}`,
    "local.max_delivery_attempts": String(settings.maxDeliveryAttempts),
    "local.deploy.messageRetention": settings.messageRetention,
    "local.pubsub_agent": `serviceAccount:service-${CAPTURED.PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`,
  };
  return heredoc
    .split("\n")
    .map((line) => line.trim())
    .map((line) =>
      line.replace(/\$\{([^}]+)\}/g, (_, expression: string) => {
        const value = values[expression];
        if (value === undefined)
          throw new Error(`dead_letter_setup uses \${${expression}}, which this test cannot fill in`);
        return value;
      }),
    )
    .map((line) => line.replace(/^\w+=\$\((.*)\)$/, "$1").replaceAll("$SUB", CAPTURED.SUB!))
    .map((line) => [...shellWords(line), `--project=${PROJECT}`]);
}

/** The deploy plan's gcloud commands (with one API invoker), each captured value filled in. */
function deployCommands(): Array<{ argv: string[]; stdin: string }> {
  return deploySteps(loadSettings(), PROJECT, ["user:analyst@example.com"])
    .filter((step) => step.argv[0] === "gcloud")
    .map((step) => ({
      argv: step.argv.map((argument) =>
        argument.replace(/\$(TRIGGER|SUB|PROJECT_NUMBER)/g, (_, name: string) => CAPTURED[name]!),
      ),
      // What `openssl rand -base64 32 |` would pipe in; every other command gets an empty stdin.
      stdin: step.stdin === "random" ? "cGxhY2Vob2xkZXIga2V5IG9mIDMyIGJ5dGVzLi4uLi4=\n" : "",
    }));
}

// An empty configuration directory: no account, whatever the machine's own gcloud has.
const config = mkdtempSync(join(tmpdir(), "gcloud-config-"));
afterAll(() => rmSync(config, { recursive: true, force: true }));

/** Runs one command with `stdin`; resolves with its exit code and everything it printed. */
const run = (argv: string[], stdin: string) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      {
        cwd: root,
        timeout: 50_000,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: config,
          CLOUDSDK_CONFIG: config,
          CLOUDSDK_CORE_DISABLE_PROMPTS: "1",
        },
      },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          output: `${stdout}${stderr}`,
        }),
    );
    child.stdin?.end(stdin);
  });

const cases = [
  ...deployCommands().map(({ argv, stdin }) => ({ from: "npm run deploy", argv, stdin })),
  ...terraformDeadLetterCommands().map((argv) => ({
    from: "terraform output dead_letter_setup",
    argv,
    stdin: "",
  })),
].map((entry) => ({ ...entry, command: entry.argv.slice(1, 4).join(" ") }));

describe.concurrent("gcloud, offline and without credentials", () => {
  test.each(cases)("accepts every argument of $from's gcloud $command", async ({ argv, stdin }) => {
    const { code, output } = await run(argv, stdin);
    // Whatever gcloud printed goes into the failure message: an argument error names the argument.
    expect(output, argv.join(" ")).toContain(NO_ACCOUNT);
    expect(output).not.toMatch(
      /unrecognized arguments|argument .*: |Invalid value|ERROR: \(gcloud\)\.\S+\) .*argument/,
    );
    expect(code).not.toBe(0);
  });
});

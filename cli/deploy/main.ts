// `npm run deploy -- --project P [--invoker MEMBER]... [--dry-run]`: builds functions/dist and deploys
// ingestScan with gcloud, sized by functions/deploy.json, gives Eventarc's subscription its dead-letter topic and
// retention, then deploys the private read API scansApi, invokable only by the --invoker principals.
// --dry-run prints the same commands as shell lines instead of running them.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { deploySteps, loadSettings, PUBLIC_MEMBERS, shellLine, type Capture } from "./plan.ts";

export const usage = `Usage: npm run deploy -- --project PROJECT [--invoker MEMBER]... [--dry-run]

Builds functions/dist and deploys ingestScan and the private read API scansApi with gcloud as
functions/deploy.json sizes them, with the reason for each value (docs/deploy.md).

  --project P       the Google Cloud project to deploy into (required)
  --invoker MEMBER  an IAM member who may call scansApi, e.g. user:ana@example.com (repeatable;
                    allUsers and allAuthenticatedUsers are refused: the API stays private)
  --dry-run         print the commands instead of running them
  -h, --help        this text`;

/** Reads the command line; a bad flag, a missing --project or a public or malformed --invoker throws naming it. */
export function parseDeployArgs(
  args: readonly string[],
): { project: string; dryRun: boolean; invokers: string[] } | "help" {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      project: { type: "string" },
      invoker: { type: "string", multiple: true, default: [] },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  if (values.project === undefined || !/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(values.project))
    throw new Error(
      `--project must name a Google Cloud project ID (6-30 lower-case letters, digits, hyphens); got ${JSON.stringify(values.project ?? "nothing")}`,
    );
  for (const member of values.invoker) {
    if ((PUBLIC_MEMBERS as readonly string[]).includes(member))
      throw new Error(
        `--invoker ${member} would make scansApi public; name users, groups or service accounts`,
      );
    if (!/^(user|group|serviceAccount|domain|principal|principalSet):\S+$/.test(member))
      throw new Error(
        `--invoker must be an IAM member such as user:ana@example.com or serviceAccount:x@p.iam.gserviceaccount.com; got ${JSON.stringify(member)}`,
      );
  }
  return { project: values.project, dryRun: values["dry-run"], invokers: values.invoker };
}

function main(): void {
  let options;
  try {
    options = parseDeployArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`deploy: ${(error as Error).message}\n\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === "help") {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const steps = deploySteps(loadSettings(), options.project, options.invokers);
  if (options.dryRun) {
    process.stdout.write(`${steps.map(shellLine).join("\n")}\n`);
    return;
  }
  const captured: Partial<Record<Capture, string>> = {};
  for (const step of steps) {
    const argv = step.argv.map((argument) =>
      argument.replace(/\$(TRIGGER|SUB|PROJECT_NUMBER)/g, (_, name: Capture) => captured[name] ?? ""),
    );
    process.stderr.write(`deploy: ${shellLine(step)}\n`);
    const output = execFileSync(argv[0]!, argv.slice(1), {
      encoding: "utf8",
      // The page-token key goes to gcloud on stdin only: never on a command line or in a log.
      ...(step.stdin === "random" ? { input: randomBytes(32).toString("base64") } : {}),
      stdio: [
        step.stdin === "random" ? "pipe" : "ignore",
        step.capture === undefined ? "inherit" : "pipe",
        "inherit",
      ],
    });
    if (step.capture === undefined) continue;
    const value = (output ?? "").trim();
    if (value === "")
      throw new Error(`${shellLine(step)} printed nothing: cannot go on without ${step.capture}`);
    captured[step.capture] = step.capture === "TRIGGER" ? value.split("/").at(-1)! : value;
  }
}

if (import.meta.main) main();

// `npm run deploy -- --project P [--dry-run]`: builds functions/dist and deploys ingestScan with gcloud,
// sized by infra/deploy.json, then gives Eventarc's subscription its dead-letter topic and retention.
// --dry-run prints the same commands as shell lines instead of running them.
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { deploySteps, loadSettings, shellLine, type Capture } from "./deploy-plan.ts";

export const usage = `Usage: npm run deploy -- --project PROJECT [--dry-run]

Builds functions/dist and deploys ingestScan with gcloud as infra/deploy.json sizes it (README "Deploy").

  --project P   the Google Cloud project to deploy into (required)
  --dry-run     print the commands instead of running them
  -h, --help    this text`;

/** Reads the command line; a bad flag or a missing --project throws naming it. */
export function parseDeployArgs(args: readonly string[]): { project: string; dryRun: boolean } | "help" {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      project: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  if (values.project === undefined || !/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(values.project))
    throw new Error(
      `--project must name a Google Cloud project ID (6-30 lower-case letters, digits, hyphens); got ${JSON.stringify(values.project ?? "nothing")}`,
    );
  return { project: values.project, dryRun: values["dry-run"] };
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
  const steps = deploySteps(loadSettings(), options.project);
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
      stdio: ["ignore", step.capture === undefined ? "inherit" : "pipe", "inherit"],
    });
    if (step.capture === undefined) continue;
    const value = (output ?? "").trim();
    if (value === "")
      throw new Error(`${shellLine(step)} printed nothing: cannot go on without ${step.capture}`);
    captured[step.capture] = step.capture === "TRIGGER" ? value.split("/").at(-1)! : value;
  }
}

if (import.meta.main) main();

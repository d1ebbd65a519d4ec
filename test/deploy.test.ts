// One deployment, three spellings: infra/*.tf, README's gcloud block and `npm run deploy -- --dry-run` must
// agree on every value, all taken from infra/deploy.json, and README must say why each sizing value.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { beforeAll, describe, expect, test } from "vitest";
import { parseDeployArgs } from "../cli/deploy.ts";
import { loadSettings, type DeploySettings } from "../cli/deploy-plan.ts";

const root = new URL("../", import.meta.url).pathname;
const settings = loadSettings();

type Block = Record<string, unknown>;
const first = (blocks: unknown): Block => (blocks as Block[])[0]!;

/** Each sizing value: its key in deploy.json, Terraform's service_config argument, gcloud's flag. */
const SIZING: Array<{
  key: keyof DeploySettings;
  terraform: string;
  flag: string;
  gcloud: (value: never) => string;
}> = [
  { key: "cpu", terraform: "available_cpu", flag: "--cpu", gcloud: String },
  { key: "memory", terraform: "available_memory", flag: "--memory", gcloud: String },
  {
    key: "concurrency",
    terraform: "max_instance_request_concurrency",
    flag: "--concurrency",
    gcloud: String,
  },
  { key: "minInstances", terraform: "min_instance_count", flag: "--min-instances", gcloud: String },
  { key: "maxInstances", terraform: "max_instance_count", flag: "--max-instances", gcloud: String },
  {
    key: "timeoutSeconds",
    terraform: "timeout_seconds",
    flag: "--timeout",
    gcloud: (seconds) => `${seconds}s`,
  },
];

let main: { resource: Record<string, Record<string, Block[]>> };
let variables: Record<string, Block[]>;
let dryRun: string;
let readmeDeploy: string;

beforeAll(async () => {
  const read = (name: string) => readFileSync(join(root, "infra", name), "utf8");
  main = (await parse("main.tf", read("main.tf"))) as typeof main;
  variables = ((await parse("variables.tf", read("variables.tf"))) as { variable: Record<string, Block[]> })
    .variable;
  dryRun = execFileSync(process.execPath, ["cli/deploy.ts", "--project", "my-project", "--dry-run"], {
    cwd: root,
    encoding: "utf8",
  });
  const readme = readFileSync(join(root, "README.md"), "utf8");
  readmeDeploy = readme.slice(
    readme.indexOf("\n## Deploy"),
    readme.indexOf("\n## ", readme.indexOf("\n## Deploy") + 1),
  );
});

/** The flags of the dry run's `gcloud functions deploy` line, as name -> value. */
function deployFlags(): Map<string, string> {
  const line = dryRun.split("\n").find((text) => text.startsWith("gcloud functions deploy "));
  if (line === undefined) throw new Error(`the dry run has no gcloud functions deploy line:\n${dryRun}`);
  return new Map(
    line
      .split(" ")
      .filter((word) => word.startsWith("--"))
      .map((word) => [word.split("=")[0]!, word.split("=").slice(1).join("=")]),
  );
}

describe("the deployment's values", () => {
  test("Terraform takes every sizing value, the name, runtime and entry point from infra/deploy.json", () => {
    const fn = first(main.resource.google_cloudfunctions2_function!.ingest_scan);
    const service = first(fn.service_config);
    for (const { key, terraform } of SIZING)
      expect(service[terraform], terraform).toBe(`\${local.deploy.${key}}`);
    expect(fn.name).toBe("${local.deploy.function}");
    expect(first(fn.build_config).runtime).toBe("${local.deploy.runtime}");
    expect(first(fn.build_config).entry_point).toBe("${local.deploy.entryPoint}");
  });

  test("Terraform's variable defaults are deploy.json's region, topics and delivery attempts", () => {
    const defaults = (name: string) => first(variables[name]).default;
    expect(defaults("region")).toBe(settings.region);
    expect(defaults("topic")).toBe(settings.topic);
    expect(defaults("dead_letter_topic")).toBe(settings.deadLetterTopic);
    expect(defaults("max_delivery_attempts")).toBe(settings.maxDeliveryAttempts);
  });

  test("npm run deploy -- --dry-run passes every value to gcloud functions deploy", () => {
    const flags = deployFlags();
    for (const { key, flag, gcloud } of SIZING)
      expect(flags.get(flag), flag).toBe(gcloud(settings[key] as never));
    expect(flags.get("--region")).toBe(settings.region);
    expect(flags.get("--runtime")).toBe(settings.runtime);
    expect(flags.get("--entry-point")).toBe(settings.entryPoint);
    expect(flags.get("--trigger-topic")).toBe(settings.topic);
    expect(flags.has("--retry")).toBe(true);
    expect(dryRun.split("\n")[0]).toBe("npm run build");
  });

  test("the dry run gives Eventarc's subscription the dead-letter topic, attempts and retention Terraform's printed step gives it", () => {
    const update = dryRun
      .split("\n")
      .find((line) => line.startsWith('gcloud pubsub subscriptions update "$SUB"'));
    expect(update).toContain(`--dead-letter-topic=${settings.deadLetterTopic}`);
    expect(update).toContain(`--max-delivery-attempts=${settings.maxDeliveryAttempts}`);
    expect(update).toContain(`--message-retention-duration=${settings.messageRetention}`);
    const outputs = readFileSync(join(root, "infra/outputs.tf"), "utf8");
    expect(outputs).toContain("--max-delivery-attempts=${var.max_delivery_attempts}");
    expect(outputs).toContain("--message-retention-duration=${local.deploy.messageRetention}");
  });

  test("README's Deploy section shows exactly the dry run's commands", () => {
    const indented = dryRun
      .trimEnd()
      .split("\n")
      .map((line) => `    ${line}`)
      .join("\n");
    expect(readmeDeploy).toContain(indented);
  });

  test("README gives a reason for every sizing value, next to the value itself", () => {
    for (const { key, flag, gcloud } of SIZING) {
      const row = readmeDeploy
        .split("\n")
        .find((line) => line.startsWith(`| \`${flag}=${gcloud(settings[key] as never)}\``));
      expect(row, `README's Deploy table has no row for ${flag}=${String(settings[key])}`).toBeDefined();
      expect(row!.split("|")[2]!.trim().length, `${flag}'s reason`).toBeGreaterThan(40);
    }
  });
});

describe("npm run deploy's command line", () => {
  test("refuses to run without a project, naming the flag", () => {
    expect(() => parseDeployArgs(["--dry-run"])).toThrow(/--project/);
  });

  test("refuses an unknown flag, naming it", () => {
    expect(() => parseDeployArgs(["--project", "my-project", "--dryrun"])).toThrow(/--dryrun/);
  });
});

// One deployment, two spellings: infra/*.tf and `npm run deploy -- --dry-run` must agree on every value, all
// taken from functions/deploy.json, and deploy.json must say why each sizing value is what it is.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { beforeAll, describe, expect, test } from "vitest";
import { parseDeployArgs } from "../cli/deploy/main.ts";
import {
  deploySteps,
  gcloudIngress,
  loadSettings,
  PUBLIC_MEMBERS,
  type ApiSettings,
  type DeploySettings,
} from "../cli/deploy/plan.ts";

const root = new URL("../", import.meta.url).pathname;
const settings = loadSettings();
/** functions/deploy.json as written, read apart from loadSettings(): what the dry run's flags must carry. */
const written = JSON.parse(readFileSync(join(root, "functions/deploy.json"), "utf8")) as Record<
  string,
  unknown
> & {
  api: Record<string, unknown>;
};
/** gcloud's spelling of each Terraform ingress setting, as its reference lists them. */
const GCLOUD_INGRESS: Record<string, string> = {
  ALLOW_ALL: "all",
  ALLOW_INTERNAL_ONLY: "internal-only",
  ALLOW_INTERNAL_AND_GCLB: "internal-and-gclb",
};

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
  { key: "ingress", terraform: "ingress_settings", flag: "--ingress-settings", gcloud: gcloudIngress },
];

/** scansApi's sizing values: its key in deploy.json's api block, Terraform's argument, gcloud's flag. */
const API_SIZING: Array<{
  key: keyof ApiSettings;
  terraform: string;
  flag: string;
  gcloud: (value: never) => string;
}> = [...SIZING.map((entry) => ({ ...entry, key: entry.key as keyof ApiSettings }))];

/** The invoker the dry run names. */
const INVOKER = "user:analyst@example.com";

let main: { resource: Record<string, Record<string, Block[]>>; locals: Block[] };
let variables: Record<string, Block[]>;
let dryRun: string;

beforeAll(async () => {
  const read = (name: string) => readFileSync(join(root, "infra", name), "utf8");
  main = (await parse("main.tf", read("main.tf"))) as typeof main;
  variables = ((await parse("variables.tf", read("variables.tf"))) as { variable: Record<string, Block[]> })
    .variable;
  dryRun = execFileSync(
    process.execPath,
    ["cli/deploy/main.ts", "--project", "my-project", "--invoker", INVOKER, "--dry-run"],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
});

/** The flags of the dry run's `gcloud functions deploy NAME` line, as name -> value. */
function deployFlags(name = settings.function): Map<string, string> {
  const line = dryRun.split("\n").find((text) => text.startsWith(`gcloud functions deploy ${name} `));
  if (line === undefined)
    throw new Error(`the dry run has no gcloud functions deploy ${name} line:\n${dryRun}`);
  return new Map(
    line
      .split(" ")
      .filter((word) => word.startsWith("--"))
      .map((word) => [word.split("=")[0]!, word.split("=").slice(1).join("=")]),
  );
}

describe("the deployment's values", () => {
  test("Terraform takes every sizing value, the name, runtime and entry point from functions/deploy.json", () => {
    const fn = first(main.resource.google_cloudfunctions2_function!.ingest_scan);
    const service = first(fn.service_config);
    for (const { key, terraform } of SIZING)
      expect(service[terraform], terraform).toBe(`\${local.deploy.${key}}`);
    expect(fn.name).toBe("${local.deploy.function}");
    expect(first(fn.build_config).runtime).toBe("${local.deploy.runtime}");
    expect(first(fn.build_config).entry_point).toBe("${local.deploy.entryPoint}");
  });

  test("Terraform's region, topics and delivery attempts are deploy.json's unless a variable is set", () => {
    const locals = first(main.locals) as Record<string, string>;
    for (const [variable, key] of [
      ["region", "region"],
      ["topic", "topic"],
      ["dead_letter_topic", "deadLetterTopic"],
      ["max_delivery_attempts", "maxDeliveryAttempts"],
    ] as const) {
      expect(first(variables[variable]).default, variable).toBeNull();
      expect(locals[variable], variable).toBe(`\${coalesce(var.${variable}, local.deploy.${key})}`);
    }
  });

  test("npm run deploy -- --dry-run passes every value to gcloud functions deploy", () => {
    const flags = deployFlags();
    for (const { key, flag, gcloud } of SIZING)
      expect(flags.get(flag), flag).toBe(gcloud(written[key] as never));
    expect(flags.get("--region")).toBe(written.region);
    expect(flags.get("--runtime")).toBe(written.runtime);
    expect(flags.get("--entry-point")).toBe(written.entryPoint);
    expect(flags.get("--trigger-topic")).toBe(written.topic);
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
    expect(outputs).toContain("--max-delivery-attempts=${local.max_delivery_attempts}");
    expect(outputs).toContain("--message-retention-duration=${local.deploy.messageRetention}");
  });

  test("the dry run and Terraform keep dead letters as long as deploy.json says, with its ack deadline", () => {
    const create = dryRun
      .split("\n")
      .find((line) => line.startsWith(`gcloud pubsub subscriptions create ${written.deadLetterTopic}-sub `));
    expect(create).toContain(`--message-retention-duration=${written.deadLetterRetentionSeconds}s`);
    expect(create).toContain(`--ack-deadline=${written.deadLetterAckDeadlineSeconds}`);
    const subscription = first(main.resource.google_pubsub_subscription!.dead_letter);
    expect(subscription.message_retention_duration).toBe("${local.deploy.deadLetterRetentionSeconds}s");
    expect(subscription.ack_deadline_seconds).toBe("${local.deploy.deadLetterAckDeadlineSeconds}");
  });
});

describe("scansApi's deployment", () => {
  const api = settings.api;

  test("Terraform deploys it from the same upload with every sizing value, its name and entry point from deploy.json's api block", () => {
    const fn = first(main.resource.google_cloudfunctions2_function!.scans_api);
    const ingest = first(main.resource.google_cloudfunctions2_function!.ingest_scan);
    const service = first(fn.service_config);
    for (const { key, terraform } of API_SIZING)
      expect(service[terraform], terraform).toBe(`\${local.deploy.api.${key}}`);
    expect(fn.name).toBe("${local.deploy.api.function}");
    expect(first(fn.build_config).entry_point).toBe("${local.deploy.api.entryPoint}");
    expect(first(fn.build_config).source).toEqual(first(ingest.build_config).source);
    expect(fn.event_trigger, "an HTTP function has no event trigger").toBeUndefined();
  });

  test("the dry run deploys it over HTTP with every sizing value, refusing unauthenticated calls", () => {
    const flags = deployFlags(api.function);
    for (const { key, flag, gcloud } of SIZING)
      expect(flags.get(flag), flag).toBe(gcloud(written.api[key] as never));
    expect(flags.get("--ingress-settings")).toBe(GCLOUD_INGRESS[String(written.api.ingress)]);
    expect(flags.get("--entry-point")).toBe(written.api.entryPoint);
    expect(flags.get("--source")).toBe(written.source);
    expect(flags.has("--trigger-http")).toBe(true);
    expect(flags.has("--no-allow-unauthenticated")).toBe(true);
  });

  test("it runs as its own account with read-only Firestore access and nothing else project-wide", () => {
    const fn = first(main.resource.google_cloudfunctions2_function!.scans_api);
    expect(first(fn.service_config).service_account_email).toBe("${google_service_account.api.email}");
    const grants = Object.values(main.resource.google_project_iam_member!)
      .map(first)
      .filter((grant) => String(grant.member).includes("google_service_account.api."));
    expect(grants.map((grant) => grant.role)).toEqual(["roles/datastore.viewer"]);
    const account = `serviceAccount:${api.serviceAccount}@my-project.iam.gserviceaccount.com`;
    const projectGrants = dryRun
      .split("\n")
      .filter((line) => line.startsWith("gcloud projects add-iam-policy-binding") && line.includes(account));
    expect(projectGrants).toHaveLength(1);
    expect(projectGrants[0]).toContain("--role=roles/datastore.viewer");
    expect(deployFlags(api.function).get("--run-service-account")).toBe(
      account.slice("serviceAccount:".length),
    );
  });

  test("its page-token key comes from one pinned Secret Manager version, readable by its account alone", () => {
    const service = first(first(main.resource.google_cloudfunctions2_function!.scans_api).service_config);
    const secretEnv = first(service.secret_environment_variables);
    expect(secretEnv.key).toBe("PAGE_TOKEN_SECRET");
    expect(secretEnv.secret).toBe("${google_secret_manager_secret.page_token.secret_id}");
    expect(secretEnv.version).toBe("${google_secret_manager_secret_version.page_token.version}");
    expect(first(main.resource.google_secret_manager_secret!.page_token).secret_id).toBe(
      "${local.deploy.api.pageTokenSecret}",
    );
    const access = first(main.resource.google_secret_manager_secret_iam_member!.api_page_token);
    expect(access.role).toBe("roles/secretmanager.secretAccessor");
    expect(access.member).toBe("serviceAccount:${google_service_account.api.email}");
    expect(deployFlags(api.function).get("--set-secrets")).toBe(`PAGE_TOKEN_SECRET=${api.pageTokenSecret}:1`);
    expect(dryRun).toContain(`openssl rand -base64 32 | gcloud secrets create ${api.pageTokenSecret} `);
  });

  test("deploy.json's why gives a reason for every sizing value of both functions", () => {
    for (const [name, why] of [
      [settings.function, settings.why],
      [api.function, api.why],
    ] as const)
      for (const { key } of SIZING)
        expect(why[key]?.trim() ?? "", `deploy.json's why for ${name}'s ${key}`).not.toBe("");
  });
});

describe("no public invoker", () => {
  const publicMember = new RegExp(PUBLIC_MEMBERS.join("|"));

  test("no Terraform resource names allUsers or allAuthenticatedUsers, and the invoker list refuses them", () => {
    for (const [type, named] of Object.entries(main.resource))
      for (const [name, blocks] of Object.entries(named))
        expect(JSON.stringify(blocks), `${type}.${name}`).not.toMatch(publicMember);
    const invokers = first(main.resource.google_cloud_run_v2_service_iam_member!.api_invokers);
    expect(invokers.for_each).toBe("${toset(var.api_invokers)}");
    expect(invokers.role).toBe("roles/run.invoker");
    const variable = first(variables.api_invokers);
    expect(variable.default).toEqual([]);
    const condition = String(first(variable.validation).condition);
    for (const member of PUBLIC_MEMBERS) expect(condition).toContain(`"${member}"`);
  });

  test("no gcloud command grants a public invoker, and every HTTP function refuses unauthenticated calls", () => {
    const steps = deploySteps(settings, "my-project", [INVOKER]);
    for (const { argv } of steps) {
      expect(argv.join(" ")).not.toMatch(publicMember);
      expect(argv).not.toContain("--allow-unauthenticated");
      if (argv.includes("--trigger-http")) expect(argv).toContain("--no-allow-unauthenticated");
    }
    expect(steps.some(({ argv }) => argv.includes("--trigger-http"))).toBe(true);
    expect(dryRun).not.toContain("--allow-unauthenticated");
  });

  test("npm run deploy refuses allUsers and allAuthenticatedUsers as invokers", () => {
    for (const member of PUBLIC_MEMBERS)
      expect(() => parseDeployArgs(["--project", "my-project", "--invoker", member])).toThrow(/public/);
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

// infra/*.tf parsed with HashiCorp's HCL parser (no terraform binary here): it must parse, every reference must
// resolve, and what it deploys must be what the code builds — entry point, runtime, source, topic names.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { getFunction } from "@google-cloud/functions-framework/testing";
import { beforeAll, describe, expect, test } from "vitest";
import { distDirectory } from "@scan-ingest/functions/build";
import type { ProviderSchemaFile, SchemaBlock, SchemaType } from "../infra/provider-schema/parse.ts";
import { loadSettings } from "../cli/deploy/plan.ts";

const root = new URL("../", import.meta.url).pathname;
const infra = join(root, "infra");

type Block = Record<string, unknown>;
type Config = {
  resource: Record<string, Record<string, Block[]>>;
  data: Record<string, Record<string, Block[]>>;
  variable: Record<string, Block[]>;
  output: Record<string, Block[]>;
  locals: Block[];
};

let config: Config;
let text: string;

beforeAll(async () => {
  const files = readdirSync(infra).filter((name) => name.endsWith(".tf"));
  text = files.map((name) => readFileSync(join(infra, name), "utf8")).join("\n");
  config = { resource: {}, data: {}, variable: {}, output: {}, locals: [] };
  for (const name of files) {
    const parsed = (await parse(name, readFileSync(join(infra, name), "utf8"))) as Partial<Config>;
    for (const section of ["resource", "data", "variable", "output"] as const) {
      for (const [key, value] of Object.entries(parsed[section] ?? {})) {
        (config[section] as Record<string, unknown>)[key] = {
          ...((config[section] as Record<string, object>)[key] ?? {}),
          ...(value as object),
        };
      }
    }
    config.locals.push(...(parsed.locals ?? []));
  }
});

const first = (blocks: unknown): Block => (blocks as Block[])[0]!;
const deploy = loadSettings();

describe("infra/ (Terraform)", () => {
  test("every var., local., resource and data reference resolves to a declaration", () => {
    const declaredLocals = new Set(config.locals.flatMap((block) => Object.keys(block)));
    for (const [, name] of text.matchAll(/\bvar\.(\w+)/g))
      expect(config.variable, `var.${name}`).toHaveProperty(name!);
    for (const [, name] of text.matchAll(/\blocal\.(\w+)/g))
      expect(declaredLocals, `local.${name}`).toContain(name);
    for (const [, type, name] of text.matchAll(/\b(google_\w+|archive_\w+)\.(\w+)\b/g)) {
      if (text.includes(`data.${type}.${name}`)) continue;
      expect(config.resource[type!], `${type}.${name}`).toHaveProperty(name!);
    }
    for (const [, type, name] of text.matchAll(/\bdata\.(\w+)\.(\w+)/g)) {
      expect(config.data[type!], `data.${type}.${name}`).toHaveProperty(name!);
    }
  });

  test("every variable is used and documented", () => {
    for (const [name, blocks] of Object.entries(config.variable)) {
      expect(text, `var.${name} is never used`).toContain(`var.${name}`);
      expect(first(blocks).description, `var.${name} has no description`).toBeTruthy();
    }
  });

  test("deploys the built bundle with the registered entry point on the Node major the project targets", async () => {
    const fn = first(config.resource.google_cloudfunctions2_function!.ingest_scan);
    const build = first(fn.build_config);
    const nodeMajor = readFileSync(join(root, ".nvmrc"), "utf8").trim();
    expect(build.runtime).toBe("${local.deploy.runtime}");
    expect(build.entry_point).toBe("${local.deploy.entryPoint}");
    expect(deploy.runtime).toBe(`nodejs${nodeMajor}`);
    // What functions-framework would find under the entry point once the function's entry has registered it.
    await import("@scan-ingest/functions");
    expect(
      getFunction(deploy.entryPoint),
      `functions/src/index.ts registers ${deploy.entryPoint}`,
    ).toBeTypeOf("function");
    const archive = first(config.data.archive_file!.source);
    expect(archive.source_dir).toBe("${path.module}/../functions/dist");
    expect(join(root, "functions/dist/")).toBe(`${distDirectory}/`);
  });

  test("is triggered by Pub/Sub messages on the scanner's topic, and failed deliveries are retried", () => {
    const trigger = first(first(config.resource.google_cloudfunctions2_function!.ingest_scan).event_trigger);
    expect(trigger.event_type).toBe("google.cloud.pubsub.topic.v1.messagePublished");
    expect(trigger.retry_policy).toBe("RETRY_POLICY_RETRY");
    expect(trigger.pubsub_topic).toBe("${google_pubsub_topic.scans.id}");
    expect(first(config.resource.google_pubsub_topic!.scans).name).toBe("${local.topic}");
  });

  test("dead letters are kept by a subscription named after their topic", () => {
    expect(first(config.resource.google_pubsub_subscription!.dead_letter).name).toBe(
      "${local.dead_letter_topic}-sub",
    );
  });

  test("every observation can go to BigQuery: off by default, deploy.json's names, metadata columns, dead letters", () => {
    const enabled = first(config.variable.observations_to_bigquery);
    expect(enabled.default).toBe(false);
    const subscription = first(config.resource.google_pubsub_subscription!.observations);
    expect(subscription.count).toBe("${local.observations_count}");
    expect(subscription.name).toBe("${local.observations.subscription}");
    expect(subscription.topic).toBe("${google_pubsub_topic.scans.id}");
    expect(first(subscription.bigquery_config).write_metadata).toBe(true);
    expect(first(subscription.dead_letter_policy)).toEqual({
      dead_letter_topic: "${google_pubsub_topic.dead_letter.id}",
      max_delivery_attempts: "${local.max_delivery_attempts}",
    });
    expect(deploy.observations).toEqual({
      subscription: expect.any(String),
      dataset: expect.stringMatching(/^\w+$/),
      table: expect.stringMatching(/^\w+$/),
    });
    // The columns a BigQuery subscription writes with write_metadata: https://cloud.google.com/pubsub/docs/bigquery
    const table = first(config.resource.google_bigquery_table!.observations);
    const schemaText = String(table.schema);
    for (const [column, type] of [
      ["subscription_name", "STRING"],
      ["message_id", "STRING"],
      ["publish_time", "TIMESTAMP"],
      ["data", "BYTES"],
      ["attributes", "JSON"],
    ])
      expect(schemaText).toMatch(new RegExp(`name\\s*=\\s*"${column}",\\s*type\\s*=\\s*"${type}"`));
    const writer = first(config.resource.google_bigquery_table_iam_member!.observations_writer);
    expect(writer).toMatchObject({ role: "roles/bigquery.dataEditor", member: "${local.pubsub_agent}" });
    const deadLetters = first(
      config.resource.google_pubsub_subscription_iam_member!.observations_dead_letter,
    );
    expect(deadLetters).toMatchObject({ role: "roles/pubsub.subscriber", member: "${local.pubsub_agent}" });
  });

  test("the function runs as its own account with document access only", () => {
    const service = first(first(config.resource.google_cloudfunctions2_function!.ingest_scan).service_config);
    expect(service.service_account_email).toBe("${google_service_account.ingest.email}");
    const grant = first(config.resource.google_project_iam_member!.ingest_firestore);
    expect(grant.role).toBe("roles/datastore.user");
    expect(grant.member).toBe("serviceAccount:${google_service_account.ingest.email}");
  });
});

// No terraform binary here, so `terraform validate` cannot run: every argument, nested block and attribute
// reference in infra/ is checked instead against the provider schema extracted from the cdktf packages
// generated from hashicorp/google and hashicorp/archive (infra/provider-schema/, `node infra/provider-schema/update.ts`).
describe("infra/ against the providers' own schemas", () => {
  const schema = JSON.parse(
    readFileSync(join(infra, "provider-schema/schema.json"), "utf8"),
  ) as ProviderSchemaFile;
  /** Terraform's own meta-arguments, valid on every resource and data source. */
  const META = new Set(["count", "for_each", "depends_on", "provider", "lifecycle"]);

  /** Every argument path under `body` that `block` does not declare (or declares as a block but got a value). */
  const unknownArguments = (body: Block, block: SchemaBlock, path: string): string[] =>
    Object.entries(body).flatMap(([name, value]) => {
      if (path.split(".").length === 2 && META.has(name)) return [];
      // `dynamic "x" { for_each, content { ... } }` makes blocks x, each a `content` body.
      if (name === "dynamic")
        return Object.entries(value as Record<string, Block[]>).flatMap(([blockName, dynamics]) => {
          const nested = block.blocks[blockName];
          if (nested === undefined) return [`${path}.${blockName}`];
          return dynamics.flatMap((dynamic) =>
            (dynamic.content as Block[]).flatMap((inner) =>
              unknownArguments(inner, nested, `${path}.${blockName}`),
            ),
          );
        });
      if (!block.arguments.includes(name)) return [`${path}.${name}`];
      const nested = block.blocks[name];
      if (nested === undefined) return [];
      return (value as Block[]).flatMap((inner) => unknownArguments(inner, nested, `${path}.${name}`));
    });

  test("the extract names the provider versions that versions.tf allows", () => {
    const google = schema.packages["@cdktf/provider-google"]!;
    expect(google.provider).toBe("registry.terraform.io/hashicorp/google");
    const major = Number(google.providerVersion.split(".")[0]);
    expect(text).toMatch(/source\s*=\s*"hashicorp\/google"\s*\n\s*version\s*=\s*">= 6\.0, < 8\.0"/);
    expect(major >= 6 && major < 8, `google provider ${google.providerVersion}`).toBe(true);
  });

  test("every resource and data source type is one the providers define, with the extract up to date", () => {
    for (const type of Object.keys(config.resource))
      expect(schema.resources, `resource ${type}: run node infra/provider-schema/update.ts`).toHaveProperty([
        type,
      ]);
    for (const type of Object.keys(config.data))
      expect(schema.dataSources, `data ${type}: run node infra/provider-schema/update.ts`).toHaveProperty([
        type,
      ]);
  });

  test("every argument and nested block set in infra/ exists in its type's schema", () => {
    const unknown: string[] = [];
    for (const [section, types] of [
      ["resource", config.resource],
      ["data", config.data],
    ] as const)
      for (const [type, named] of Object.entries(types)) {
        const typeSchema = (section === "resource" ? schema.resources : schema.dataSources)[type];
        if (typeSchema === undefined) continue; // reported by the test above
        for (const [name, blocks] of Object.entries(named))
          for (const body of blocks) unknown.push(...unknownArguments(body, typeSchema, `${type}.${name}`));
      }
    expect(unknown, "arguments the provider does not define").toEqual([]);
  });

  test("every attribute that a reference reads exists in its type's schema", () => {
    const unknown: string[] = [];
    const check = (
      types: Record<string, SchemaType>,
      type: string,
      attribute: string,
      nestedPath: string,
    ) => {
      const readable = types[type]?.readable;
      if (readable === undefined) return;
      for (const name of [attribute, ...[...nestedPath.matchAll(/\.(\w+)/g)].map((match) => match[1]!)])
        if (!readable.includes(name)) unknown.push(`${type}.${name}`);
    };
    for (const [, type, , attribute, nested] of text.matchAll(
      // `type.name[0].attribute` too: a resource with `count` (infra/bigquery.tf's) is read through its index.
      /(?<!data\.)\b((?:google|archive)_\w+)\.(\w+)(?:\[\d+\])?\.(\w+)((?:\[\d+\]\.\w+)*)/g,
    ))
      check(schema.resources, type!, attribute!, nested ?? "");
    for (const [, type, , attribute, nested] of text.matchAll(
      /\bdata\.(\w+)\.(\w+)\.(\w+)((?:\[\d+\]\.\w+)*)/g,
    ))
      check(schema.dataSources, type!, attribute!, nested ?? "");
    expect(unknown, "attributes the provider does not define").toEqual([]);
  });
});

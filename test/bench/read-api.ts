// readApi: scansApi as production runs it (functions/dist through functions-framework) against the embedded
// Firestore, at concurrency 32 over keep-alive HTTP, beside the same reads made straight through the
// Firestore SDK in the same run: one service by key (a document get) and a 50-item page (the newest-first
// listing's queries, which GET /v1/services?limit=50 issues, made through read.ts in this process).
// A third side, the floor, serves the same two SDK reads from a function that does nothing else
// (minimal-read-function.ts) through the same functions-framework server: floor ÷ SDK is the most any
// function could reach here, and API ÷ floor (goal ≥ 0.9) is what scansApi's own code leaves of it.
import { existsSync } from "node:fs";
import { Agent, get } from "node:http";
import { start as startFirestore } from "@scan-ingest/emulator-firestore";
import { parseConfig } from "@scan-ingest/functions/config";
import { firestoreReader } from "@scan-ingest/functions/api/read";
import { toServiceDocument } from "@scan-ingest/functions/documents";
import { firestoreStore } from "@scan-ingest/functions/store";
import { emulatorFirestore } from "@scan-ingest/pipeline/clients";
import { buildInto } from "./cold-start.ts";
import {
  alternate,
  inParallel,
  median,
  percentile,
  processCpuMs,
  progress,
  repositoryRoot,
  startFramework,
} from "./measure.ts";
import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";

/** One read's throughput and tail: the API, the floor function and the SDK side by side. */
export interface ReadFigures {
  /** API ÷ floor requests/s, both through functions-framework: the figure with the goal (≥ 0.9). */
  ofFloor: number;
  /** API ÷ SDK requests/s. */
  ratio: number;
  /** Floor ÷ SDK: what functions-framework and the HTTP hop alone leave of the SDK's throughput. */
  frameworkFloorRatio: number;
  apiPerSec: number;
  floorPerSec: number;
  sdkPerSec: number;
  apiP99Ms: number;
  floorP99Ms: number;
  sdkP99Ms: number;
  /** CPU the functions-framework process spent per request (median over rounds), API and floor. */
  apiFunctionCpuMs: number | undefined;
  floorFunctionCpuMs: number | undefined;
  /**
   * CPU this process spent per request, each side: the embedded Firestore serving the read, plus the HTTP
   * client reading and parsing the answer (api, floor) or the SDK itself (sdk).
   */
  localCpuMs: { api: number; floor: number; sdk: number };
}

export interface ReadApiFigures {
  concurrency: number;
  services: number;
  get: ReadFigures;
  page: ReadFigures;
}

const PROJECT = DEFAULT_PROJECT;
const COLLECTION = "bench-read-api";
const PAGE = 50;

/** One run: `requests` calls of `call` at `concurrency`; requests/s and every latency in ms. */
async function load(
  requests: number,
  concurrency: number,
  call: (index: number) => Promise<void>,
): Promise<{ perSec: number; latencies: number[] }> {
  const latencies: number[] = [];
  const started = performance.now();
  await inParallel(
    Array.from({ length: requests }, (_, index) => index),
    concurrency,
    async (index) => {
      const begun = performance.now();
      await call(index);
      latencies.push(performance.now() - begun);
    },
  );
  return { perSec: (requests / (performance.now() - started)) * 1000, latencies };
}

/** GET over a keep-alive connection; the body is read whole and parsed, as a client would. */
function getJson(agent: Agent, url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (response.statusCode !== 200)
          reject(new Error(`GET ${url} answered ${response.statusCode}: ${text}`));
        else resolve(JSON.parse(text));
      });
      response.on("error", reject);
    }).on("error", reject);
  });
}

/** Seeds `services` scans, serves the built scansApi and the floor, and measures each read three ways. */
export async function benchReadApi(options: {
  services: number;
  requests: number;
  /** Pages are slower (three queries each on the embedded Firestore): fewer of them per round. */
  pageRequests: number;
  rounds: number;
  concurrency: number;
}): Promise<ReadApiFigures> {
  const dist = `${repositoryRoot}functions/dist`;
  if (!existsSync(`${dist}/api.js`))
    throw new Error(`${dist}/api.js is missing: run npm run build first (the bench serves the built bundle)`);
  const { concurrency } = options;
  progress("readApi: building the floor function (functions/build.ts)");
  const floorBuild = await buildInto(
    "bench-read-floor-",
    new URL("./minimal-read-function.ts", import.meta.url).pathname,
  );
  const firestore = await startFirestore({ port: 0 });
  const env = {
    FIRESTORE_EMULATOR_HOST: firestore.host,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    SERVICES_COLLECTION: COLLECTION,
  };
  const client = emulatorFirestore({ host: firestore.host, projectId: PROJECT });
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const servers: Array<Awaited<ReturnType<typeof startFramework>>> = [];
  try {
    progress(`readApi: seeding ${options.services} services`);
    // Stored through the ingest path's own transaction, so the documents are exactly what the API reads.
    const store = firestoreStore(client, parseConfig(env));
    const now = Math.floor(Date.now() / 1000);
    const ips = Array.from({ length: options.services }, (_, index) => `10.0.${index >> 8}.${index & 255}`);
    await inParallel(ips, concurrency, async (ip) => {
      const document = toServiceDocument(
        {
          ip,
          port: 443,
          service: "HTTP",
          timestamp: now,
          dataVersion: 2,
          response: Buffer.from(`HTTP/1.1 200 OK ${ip}`),
        },
        { messageId: ip, publishTime: { seconds: now, nanoseconds: 0 } },
        262_144,
      );
      await store.applyIfNewer(`${ip}:443:HTTP`, document);
    });
    const api = await startFramework({ source: dist, target: "scansApi", env });
    servers.push(api);
    const floor = await startFramework({ source: floorBuild.dir, target: "scansApi", env });
    servers.push(floor);
    const collection = client.collection(COLLECTION);
    // The listing's own Firestore reads (one `shard in [...]` query per group of shards, merged), made here.
    const reader = firestoreReader(client, parseConfig(env));
    /** The same two reads over HTTP from a function server; the floor answers ids only. */
    const overHttp = (url: string) => ({
      get: (index: number) =>
        getJson(agent, `${url}/v1/services/${ips[index % ips.length]}/443/HTTP`).then(() => undefined),
      page: async () => {
        const page = (await getJson(agent, `${url}/v1/services?limit=${PAGE}`)) as { items: unknown[] };
        if (page.items.length !== PAGE) throw new Error(`${url}'s page held ${page.items.length} items`);
      },
    });
    const sides = { api: overHttp(api.url), floor: overHttp(floor.url) };
    const reads = {
      apiGet: sides.api.get,
      floorGet: sides.floor.get,
      sdkGet: async (index: number) => {
        const snapshot = await collection.doc(`${ips[index % ips.length]}:443:HTTP`).get();
        if (!snapshot.exists) throw new Error(`${snapshot.id} was not seeded`);
      },
      apiPage: sides.api.page,
      floorPage: sides.floor.page,
      sdkPage: async () => {
        const page = await reader.services({}, PAGE, undefined);
        if (page.items.length !== PAGE) throw new Error(`the SDK's page held ${page.items.length} documents`);
      },
    };
    type Read = keyof typeof reads;
    const names = Object.keys(reads) as Read[];
    const pidOf = (read: Read) =>
      read.startsWith("api") ? api.child.pid : read.startsWith("floor") ? floor.child.pid : undefined;
    const perRead = () =>
      Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Read, number[]>;
    const [p99s, cpu, localCpu] = [perRead(), perRead(), perRead()];
    const run = (read: Read, requests: number) => async () => {
      const pid = pidOf(read);
      const before = await processCpuMs(pid);
      const local = process.cpuUsage();
      const { perSec, latencies } = await load(requests, concurrency, reads[read]);
      const localUsed = process.cpuUsage(local);
      const after = await processCpuMs(pid);
      if (after !== undefined && before !== undefined) cpu[read].push((after - before) / requests);
      localCpu[read].push((localUsed.user + localUsed.system) / 1000 / requests);
      p99s[read].push(percentile(latencies, 0.99));
      return perSec;
    };
    progress(`readApi: warming up the six reads`);
    for (const read of names) await run(read, concurrency * 4)();
    for (const list of [...Object.values(p99s), ...Object.values(cpu), ...Object.values(localCpu)])
      list.length = 0;
    progress(
      `readApi: ${options.requests} gets and ${options.pageRequests} pages per side per round at concurrency ` +
        `${concurrency}, ${options.rounds} rounds`,
    );
    const rates = await alternate(
      options.rounds,
      Object.fromEntries(
        names.map((name) => [
          name,
          run(name, name.endsWith("Page") ? options.pageRequests : options.requests),
        ]),
      ) as Record<Read, () => Promise<number>>,
    );
    const cpuMs = (read: Read) => (cpu[read].length === 0 ? undefined : median(cpu[read]));
    const figures = (kind: "Get" | "Page"): ReadFigures => {
      const [apiRead, floorRead, sdkRead] = [`api${kind}`, `floor${kind}`, `sdk${kind}`] as const;
      return {
        ofFloor: median(rates[apiRead]) / median(rates[floorRead]),
        ratio: median(rates[apiRead]) / median(rates[sdkRead]),
        frameworkFloorRatio: median(rates[floorRead]) / median(rates[sdkRead]),
        apiPerSec: median(rates[apiRead]),
        floorPerSec: median(rates[floorRead]),
        sdkPerSec: median(rates[sdkRead]),
        apiP99Ms: median(p99s[apiRead]),
        floorP99Ms: median(p99s[floorRead]),
        sdkP99Ms: median(p99s[sdkRead]),
        apiFunctionCpuMs: cpuMs(apiRead),
        floorFunctionCpuMs: cpuMs(floorRead),
        localCpuMs: {
          api: median(localCpu[apiRead]),
          floor: median(localCpu[floorRead]),
          sdk: median(localCpu[sdkRead]),
        },
      };
    };
    return { concurrency, services: options.services, get: figures("Get"), page: figures("Page") };
  } finally {
    agent.destroy();
    for (const server of servers) await server.stop();
    await client.terminate();
    await firestore.stop();
    await floorBuild.remove();
  }
}

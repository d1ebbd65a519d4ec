// readApi: scansApi as production runs it (functions/dist through functions-framework) against the embedded
// Firestore, at concurrency 32 over keep-alive HTTP, beside the same reads made straight through the
// Firestore SDK in the same run: one service by key (a document get) and a 50-item page (a 50-document
// query ordered by key, the listing GET /v1/services?limit=50 issues). Goal: API ÷ SDK ≥ 0.8 of requests/s.
import { existsSync } from "node:fs";
import { Agent, get } from "node:http";
import { FieldPath, Firestore } from "@google-cloud/firestore";
import { start as startFirestore } from "@scan-ingest/emulator-firestore";
import { parseConfig } from "@scan-ingest/functions/config";
import { toServiceDocument } from "@scan-ingest/functions/documents";
import { firestoreStore } from "../../functions/src/store.ts";
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

/** One read's throughput and tail, API and SDK side by side. */
export interface ReadFigures {
  ratio: number;
  apiPerSec: number;
  sdkPerSec: number;
  apiP99Ms: number;
  sdkP99Ms: number;
  /** CPU the functions-framework process spent per API request (median over rounds). */
  apiFunctionCpuMs: number | undefined;
}

export interface ReadApiFigures {
  concurrency: number;
  services: number;
  get: ReadFigures;
  page: ReadFigures;
}

const PROJECT = "demo-scan";
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

/** Seeds `services` scans, serves the built scansApi and measures both reads each way over `rounds`. */
export async function benchReadApi(options: {
  services: number;
  requests: number;
  rounds: number;
  concurrency: number;
}): Promise<ReadApiFigures> {
  const dist = `${repositoryRoot}functions/dist`;
  if (!existsSync(`${dist}/api.js`))
    throw new Error(`${dist}/api.js is missing: run npm run build first (the bench serves the built bundle)`);
  const { concurrency } = options;
  const firestore = await startFirestore({ port: 0 });
  const env = {
    FIRESTORE_EMULATOR_HOST: firestore.host,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    SERVICES_COLLECTION: COLLECTION,
  };
  // No metadata server here: spares the auth library its probe and warning.
  process.env.METADATA_SERVER_DETECTION ??= "none";
  const client = new Firestore({ projectId: PROJECT, host: firestore.host, ssl: false });
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let server: Awaited<ReturnType<typeof startFramework>> | undefined;
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
    server = await startFramework({ source: dist, target: "scansApi", env });
    const url = server.url;
    const pid = server.child.pid;
    const collection = client.collection(COLLECTION);
    const reads = {
      apiGet: (index: number) =>
        getJson(agent, `${url}/v1/services/${ips[index % ips.length]}/443/HTTP`).then(() => undefined),
      sdkGet: async (index: number) => {
        const snapshot = await collection.doc(`${ips[index % ips.length]}:443:HTTP`).get();
        if (!snapshot.exists) throw new Error(`${snapshot.id} was not seeded`);
      },
      apiPage: async () => {
        const page = (await getJson(agent, `${url}/v1/services?limit=${PAGE}`)) as { items: unknown[] };
        if (page.items.length !== PAGE) throw new Error(`the API's page held ${page.items.length} items`);
      },
      sdkPage: async () => {
        const page = await collection.orderBy(FieldPath.documentId()).limit(PAGE).get();
        if (page.size !== PAGE) throw new Error(`the SDK's page held ${page.size} documents`);
      },
    };
    type Read = keyof typeof reads;
    const p99s: Record<Read, number[]> = { apiGet: [], sdkGet: [], apiPage: [], sdkPage: [] };
    const cpu: Record<"apiGet" | "apiPage", number[]> = { apiGet: [], apiPage: [] };
    const run = (read: Read, requests: number) => async () => {
      const before = read.startsWith("api") ? await processCpuMs(pid) : undefined;
      const { perSec, latencies } = await load(requests, concurrency, reads[read]);
      const after = before === undefined ? undefined : await processCpuMs(pid);
      if (after !== undefined && before !== undefined)
        cpu[read as "apiGet" | "apiPage"].push((after - before) / requests);
      p99s[read].push(percentile(latencies, 0.99));
      return perSec;
    };
    progress(`readApi: warming up the four reads`);
    for (const read of Object.keys(reads) as Read[]) await run(read, concurrency * 4)();
    for (const list of [...Object.values(p99s), ...Object.values(cpu)]) list.length = 0;
    progress(
      `readApi: ${options.requests} requests per read per round at concurrency ${concurrency}, ${options.rounds} rounds`,
    );
    const rates = await alternate(options.rounds, {
      apiGet: run("apiGet", options.requests),
      sdkGet: run("sdkGet", options.requests),
      apiPage: run("apiPage", options.requests),
      sdkPage: run("sdkPage", options.requests),
    });
    const figures = (api: "apiGet" | "apiPage", sdk: Read): ReadFigures => ({
      ratio: median(rates[api]) / median(rates[sdk]),
      apiPerSec: median(rates[api]),
      sdkPerSec: median(rates[sdk]),
      apiP99Ms: median(p99s[api]),
      sdkP99Ms: median(p99s[sdk]),
      apiFunctionCpuMs: cpu[api].length === 0 ? undefined : median(cpu[api]),
    });
    return {
      concurrency,
      services: options.services,
      get: figures("apiGet", "sdkGet"),
      page: figures("apiPage", "sdkPage"),
    };
  } finally {
    agent.destroy();
    await server?.stop();
    await client.terminate();
    await firestore.stop();
  }
}

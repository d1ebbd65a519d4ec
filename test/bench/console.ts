// console: the web console in Debian's Chromium over 100,000 stored services ÷ over 100, in one run. Two
// collections in one embedded Firestore, each behind its own scansApi (the built bundle under
// functions-framework) and console server; per round and per size, the browser's time to render the first
// page (navigation start → the rows are in the DOM, User Timing mark `console:rendered`) and the next page
// (the Older click → the next rows). Two listings: the default one across every shard, and the one a
// service filter gives, both newest first. Goal: 100,000 ÷ 100 ≤ 1.5.
import type { Firestore } from "@google-cloud/firestore";
import { buildConsole, startConsole, type ConsoleServer } from "@scan-ingest/console";
import { start as startFirestore } from "@scan-ingest/emulator-firestore";
import { toServiceDocument } from "@scan-ingest/functions/documents";
import { shardOf } from "@scan-ingest/functions/shard";
import { emulatorFirestore } from "@scan-ingest/pipeline/clients";
import type { Page } from "playwright-core";
import { launchChromium } from "../console/browser.ts";
import { buildInto } from "./cold-start.ts";
import { alternate, median, progress, startFramework, type FrameworkServer } from "./measure.ts";

export interface ConsoleBenchOptions {
  /** Services in the large collection (100,000 in the full run). */
  large: number;
  /** Services in the small one (100). */
  small: number;
  rounds: number;
}

export interface RenderFigures {
  /** Large ÷ small, medians. */
  ratio: number;
  largeMs: number;
  smallMs: number;
}

export interface ConsoleFigures {
  byKey: { first: RenderFigures; next: RenderFigures };
  newestFirst: { first: RenderFigures; next: RenderFigures };
  /** Seeding the large collection through the SDK in WriteBatches of 500. */
  seedSeconds: number;
  large: number;
  small: number;
}

const PROJECT = "demo-bench-console";
const BATCH = 500;
const PARALLEL_BATCHES = 4;

export async function benchConsole(options: ConsoleBenchOptions): Promise<ConsoleFigures> {
  const firestore = await startFirestore({ port: 0 });
  const client = emulatorFirestore({ host: firestore.host, projectId: PROJECT });
  const build = await buildInto("console-bench-");
  const servers: FrameworkServer[] = [];
  const consoles: ConsoleServer[] = [];
  const browser = await launchChromium();
  try {
    await buildConsole();
    progress(`console: seeding ${options.large} + ${options.small} services`);
    const seeded = performance.now();
    await seed(client, "services-large", options.large);
    const seedSeconds = (performance.now() - seeded) / 1000;
    await seed(client, "services-small", options.small);
    progress(`console: seeded ${options.large} in ${seedSeconds.toFixed(1)} s`);

    const sides = { large: "services-large", small: "services-small" } as const;
    const pages: Record<keyof typeof sides, Page> = {} as Record<keyof typeof sides, Page>;
    for (const [side, collection] of Object.entries(sides) as Array<[keyof typeof sides, string]>) {
      const api = await startFramework({
        source: build.dir,
        target: "scansApi",
        env: {
          FIRESTORE_EMULATOR_HOST: firestore.host,
          GOOGLE_CLOUD_PROJECT: PROJECT,
          SERVICES_COLLECTION: collection,
        },
      });
      servers.push(api);
      const web = await startConsole({ port: 0, apiUrl: api.url });
      consoles.push(web);
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: web.url });
      pages[side] = await context.newPage();
    }

    const listings = { byKey: "/services", newestFirst: "/services?service=http" } as const;
    const figures = {} as Pick<ConsoleFigures, "byKey" | "newestFirst">;
    for (const [name, path] of Object.entries(listings) as Array<[keyof typeof listings, string]>) {
      // One unmeasured visit each: the browser's cache holds the bundle, the servers are warm.
      for (const page of Object.values(pages)) await renderFirst(page, path);
      const first = await alternate(options.rounds, {
        large: () => renderFirst(pages.large, path),
        small: () => renderFirst(pages.small, path),
      });
      const next = await alternate(options.rounds, {
        large: async () => (await renderFirst(pages.large, path), renderNext(pages.large)),
        small: async () => (await renderFirst(pages.small, path), renderNext(pages.small)),
      });
      figures[name] = { first: figuresOf(first), next: figuresOf(next) };
      progress(
        `console.${name}: first page ${figures[name].first.largeMs.toFixed(1)} ÷ ${figures[name].first.smallMs.toFixed(1)} ms, ` +
          `next page ${figures[name].next.largeMs.toFixed(1)} ÷ ${figures[name].next.smallMs.toFixed(1)} ms`,
      );
    }
    return { ...figures, seedSeconds, large: options.large, small: options.small };
  } finally {
    await browser.close();
    for (const web of consoles) await web.close();
    for (const server of servers) await server.stop();
    await client.terminate();
    await firestore.stop();
    await build.remove();
  }
}

function figuresOf(times: { large: number[]; small: number[] }): RenderFigures {
  const largeMs = median(times.large);
  const smallMs = median(times.small);
  return { ratio: largeMs / smallMs, largeMs, smallMs };
}

/** Navigation start → the first page's rows rendered, from the page's own User Timing mark. */
async function renderFirst(page: Page, path: string): Promise<number> {
  await page.goto(path);
  const handle = await page.waitForFunction(() => {
    const mark = performance.getEntriesByName("console:rendered")[0];
    return mark === undefined ? undefined : mark.startTime;
  });
  const ms = (await handle.jsonValue()) as number;
  if ((await page.locator("tbody tr").count()) === 0) throw new Error(`${page.url()} rendered no rows`);
  return ms;
}

/** The Older click → the next page's rows rendered, both read on the page's clock. */
async function renderNext(page: Page): Promise<number> {
  const before = await page.evaluate(() => {
    const marks = performance.getEntriesByName("console:rendered").length;
    const button = Array.from(document.querySelectorAll("button")).find(
      (each) => each.textContent === "Older →",
    );
    if (!button || button.disabled) throw new Error("no next page to render");
    const clicked = performance.now();
    button.click();
    return { marks, clicked };
  });
  const handle = await page.waitForFunction((count) => {
    const marks = performance.getEntriesByName("console:rendered");
    return marks.length > count ? marks[marks.length - 1]!.startTime : undefined;
  }, before.marks);
  return ((await handle.jsonValue()) as number) - before.clicked;
}

/** `count` services a second apart, written in WriteBatches of 500, a few at a time. */
async function seed(client: Firestore, collection: string, count: number): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const batches = Math.ceil(count / BATCH);
  let nextBatch = 0;
  const worker = async () => {
    for (let batchIndex = nextBatch++; batchIndex < batches; batchIndex = nextBatch++) {
      const batch = client.batch();
      for (let index = batchIndex * BATCH; index < Math.min((batchIndex + 1) * BATCH, count); index++) {
        const ip = `10.${index >> 16}.${(index >> 8) & 255}.${index & 255}`;
        const document = toServiceDocument(
          {
            ip,
            port: 443,
            service: "HTTP",
            timestamp: now - count + index,
            dataVersion: 2,
            response: Buffer.from(`HTTP/1.1 200 OK\r\nServer: bench ${ip}\r\n`),
          },
          { messageId: String(index), publishTime: { seconds: now, nanoseconds: 0 } },
          262_144,
        );
        const key = `${ip}:443:HTTP`;
        // Written in batches for speed, with the shard the store would add (functions/src/store.ts).
        batch.set(client.collection(collection).doc(key), { ...document, shard: shardOf(key) });
      }
      await batch.commit();
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_BATCHES }, worker));
}

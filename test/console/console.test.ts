// The console in real headless Chromium against the real pipeline: a duplicate storm of two functions-framework
// servers for ingestScan (two subscriptions, so one can dead-letter while the other delivers), scansApi behind the console server, the page bundled by esbuild. Load, filter, page forward and
// back, open a service, non-UTF-8 bytes as hex, rejects, the live totals moving while the scanner publishes,
// a dead letter appearing, bad input in the URL and the filters, keyboard use, axe's accessibility rules, a
// narrow window. Screenshots of each view go to docs/console/ with SCREENSHOTS=update (docs/console.md shows them).
// Emulators: FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST when set (npm run test:google), else embedded.
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { PubSub } from "@google-cloud/pubsub";
import AxeBuilder from "@axe-core/playwright";
import { parseOptions, runScanner, type ScannerOptions } from "@scan-ingest/scanner";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { startPipeline, type Pipeline } from "@scan-ingest/pipeline";
import { startPipelineConsole, type PipelineConsole } from "../../cli/start/console.ts";
import { launchChromium } from "./browser.ts";
import { emulatorPubSub } from "@scan-ingest/pipeline/clients";

const external = Boolean(process.env.PUBSUB_EMULATOR_HOST);
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const screenshots =
  process.env.SCREENSHOTS === "update" ? new URL("../../docs/console/", import.meta.url) : undefined;
const SERVICES = 120;
const BINARY = Buffer.from([0x48, 0x49, 0xff, 0xfe, 0x00, 0x01, 0x80, 0x7f, 0x0a]);

let pipeline: Pipeline;
let web: PipelineConsole;
let client: PubSub;
let browser: Browser;
let page: Page;
let published = 0;
/** Uncaught errors in the page: none is ever expected. */
const pageErrors: string[] = [];

beforeAll(async () => {
  pipeline = await startPipeline({
    instances: 2,
    duplicateStorm: true,
    apiPort: 0,
    ...(process.env.FIRESTORE_EMULATOR_HOST ? { firestoreHost: process.env.FIRESTORE_EMULATOR_HOST } : {}),
    ...(process.env.PUBSUB_EMULATOR_HOST ? { pubsubHost: process.env.PUBSUB_EMULATOR_HOST } : {}),
    ...(external ? { topic: `scan-topic-${suffix}` } : {}),
    functionEnv: {
      SERVICES_COLLECTION: `services-console-${suffix}`,
      REJECTS_COLLECTION: `rejects-console-${suffix}`,
    },
    retryBackoffSeconds: { minimum: 0.1, maximum: 0.5 },
    onOutcome: (event) => web?.outcome(event),
    onOutput: () => undefined,
  });
  web = await startPipelineConsole(pipeline, {
    port: 0,
    published: () => published,
    emulators: external ? "Google's" : "embedded",
  });
  client = emulatorPubSub({ host: pipeline.pubsubHost, projectId: pipeline.projectId });
  // 120 services a minute apart (newest: 10.1.0.119), one response that is not UTF-8, three rejects.
  const base = 1_764_547_200;
  const messages: Buffer[] = [];
  for (let index = 0; index < SERVICES; index++)
    messages.push(scan({ ip: `10.1.0.${index}`, port: 80, service: "http", timestamp: base + index * 60 }));
  messages.push(
    json({
      ip: "10.9.9.9",
      port: 23,
      service: "telnet",
      timestamp: base,
      data_version: 1,
      data: { response_bytes_utf8: BINARY.toString("base64") },
    }),
    Buffer.from("{not json"),
    scan({ ip: "10.1.0.1", port: 70000, service: "http", timestamp: base }),
    scan({ ip: "300.1.1.1", port: 80, service: "http", timestamp: base }),
  );
  await publish(messages);
  await pipeline.waitForDrain({ timeoutMs: 60_000, expectedOutcomes: 2 * messages.length });
  browser = await launchChromium();
  // A context of its own: axe opens pages in it.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  if (screenshots) await mkdir(screenshots, { recursive: true });
}, 120_000);

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await client?.close();
  await web?.close();
  await pipeline?.stop();
});

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function scan(fields: { ip: string; port: number; service: string; timestamp: number }): Buffer {
  return json({
    ...fields,
    data_version: 2,
    data: { response_str: `HTTP/1.1 200 OK\r\nServer: ${fields.ip}\r\n` },
  });
}

async function publish(messages: Buffer[]): Promise<string[]> {
  const topic = client.topic(pipeline.topic);
  const ids = await Promise.all(messages.map((data) => topic.publishMessage({ data })));
  published += ids.length;
  return ids;
}

const url = (path: string) => `${web.url}${path}`;

/** The keys in the services table, in order, once the listing is loaded. */
async function listedKeys(): Promise<string[]> {
  await page.locator('section.results[aria-busy="false"] tbody tr').first().waitFor();
  return page
    .locator("tbody tr")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-key") ?? ""));
}

async function waitForListing(previous: string[]): Promise<string[]> {
  await page.waitForFunction((before) => {
    const section = document.querySelector("section.results");
    const rows = Array.from(document.querySelectorAll("tbody tr"), (row) => row.getAttribute("data-key"));
    return section?.getAttribute("aria-busy") === "false" && rows.join() !== before;
  }, previous.join());
  return listedKeys();
}

async function alertText(): Promise<string> {
  return (await page.getByRole("alert").first().textContent()) ?? "";
}

/**
 * A PNG of the page (the whole page, or only what the window shows), kept in docs/console/ when updating.
 * Its width, read from the PNG header, is the window's: a view wider than the window would widen the picture.
 */
async function shoot(name: string, fullPage = true): Promise<void> {
  const shot = await page.screenshot({
    fullPage,
    ...(screenshots && { path: new URL(`${name}.png`, screenshots).pathname }),
  });
  expect(shot.readUInt32BE(16), `${name}.png's width`).toBe(page.viewportSize()!.width);
}

const serviceKeys = Array.from({ length: SERVICES }, (_, index) => `10.1.0.${index}:80:HTTP`);
/** The listing without filters: newest scan first; TELNET ties with the oldest HTTP and has the greater key. */
const newestFirst = [...serviceKeys.slice(1).reverse(), "10.9.9.9:23:TELNET", serviceKeys[0]!];

describe("Services", () => {
  test("loads the first page of 50, newest scan first, with the count and Newer disabled", async () => {
    await page.goto(url("/"));
    expect(await listedKeys()).toEqual(newestFirst.slice(0, 50));
    await expect(page.getByRole("link", { name: "Services" }).getAttribute("aria-current")).resolves.toBe(
      "page",
    );
    expect(await page.getByRole("button", { name: "← Newer" }).isDisabled()).toBe(true);
    expect(await page.locator(".count").textContent()).toBe("50 services, more on older pages");
    await shoot("services", false);
  });

  test("pages forward to the end and back again, and the browser's back button agrees", async () => {
    await page.goto(url("/services"));
    const pages = [await listedKeys()];
    const older = page.getByRole("button", { name: "Older →" });
    while (!(await older.isDisabled())) {
      await older.click();
      pages.push(await waitForListing(pages[pages.length - 1]!));
    }
    const all = pages.flat();
    expect(pages.map((keys) => keys.length)).toEqual([50, 50, 21]);
    expect(all).toEqual(newestFirst);
    expect(new URL(page.url()).searchParams.get("pageToken")).toBeTruthy();

    const newer = page.getByRole("button", { name: "← Newer" });
    await newer.click();
    expect(await waitForListing(pages[2]!)).toEqual(pages[1]);
    await newer.click();
    expect(await waitForListing(pages[1]!)).toEqual(pages[0]);
    expect(new URL(page.url()).searchParams.has("pageToken")).toBe(false);
    expect(await newer.isDisabled()).toBe(true);

    await page.goBack();
    expect(await waitForListing(pages[0]!)).toEqual(pages[1]);
    await page.goForward();
    expect(await waitForListing(pages[1]!)).toEqual(pages[0]);
  });

  test("filters by service and port: newest scan first, the filters kept in the URL", async () => {
    await page.goto(url("/services"));
    await listedKeys();
    await page.getByLabel("Service", { exact: true }).fill("HTTP");
    await page.getByLabel("Port", { exact: true }).fill("80");
    await page.getByLabel("Per page").selectOption("10");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/service=HTTP/);
    const keys = await waitForListing([]);
    expect(keys).toEqual(serviceKeys.slice(-10).reverse());
    expect(new URL(page.url()).search).toBe("?port=80&service=HTTP&limit=10");
    await page.getByRole("button", { name: "Older →" }).click();
    expect(await waitForListing(keys)).toEqual(serviceKeys.slice(-20, -10).reverse());

    await page.goto(url(`/services?ip=${encodeURIComponent("::ffff:10.1.0.7")}`));
    // Any valid spelling of the address; the API canonicalises it.
    expect(await listedKeys()).toEqual(["10.1.0.7:80:HTTP"]);
  });

  test("bad input in the filters gets the API's message in the page, naming the field", async () => {
    await page.goto(url("/services"));
    await listedKeys();
    await page.getByLabel("IP address").fill("10.1.0.999");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("alert").waitFor();
    const text = await alertText();
    expect(text).toContain("Could not load the services");
    expect(text).toContain("(400)");
    expect(text).toMatch(/ip/);
    expect(text).toContain("Fix the ip field");
    // The form stays, filled in, to correct.
    expect(await page.getByLabel("IP address").inputValue()).toBe("10.1.0.999");
    await shoot("services-error");

    for (const [path, parameter] of [
      ["/services?limit=5000", "limit"],
      ["/services?port=http", "port"],
      ["/services?since=yesterday&service=http", "since"],
      ["/services?pageToken=forged", "pageToken"],
      ["/services?colour=blue", "colour"],
    ] as const) {
      await page.goto(url(path));
      await page.getByRole("alert").waitFor();
      expect(await alertText(), path).toContain(parameter);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Services");
    }
  });
});

describe("One service", () => {
  test("opens from the list with every stored field and the response as text", async () => {
    await page.goto(url("/services?ip=10.1.0.42"));
    await listedKeys();
    await page.getByRole("link", { name: "10.1.0.42:80:HTTP" }).click();
    await page.waitForURL(/\/services\/10\.1\.0\.42\/80\/HTTP$/);
    await page.getByRole("heading", { name: "10.1.0.42:80:HTTP" }).waitFor();
    const facts = await page.locator("dl.facts").innerText();
    for (const label of [
      "IP",
      "Port",
      "Scanned",
      "Published",
      "Stored",
      "Message id",
      "Response size",
      "SHA-256",
    ])
      expect(facts).toContain(label);
    expect(facts).toContain("UTF-8 text");
    const response = page.getByLabel("Response as text");
    expect(await response.textContent()).toBe("HTTP/1.1 200 OK\r\nServer: 10.1.0.42\r\n");
  });

  test("shows a response that is not UTF-8 as a hex dump of its exact bytes", async () => {
    await page.goto(url("/services/10.9.9.9/23/telnet"));
    await page.getByRole("heading", { name: "10.9.9.9:23:TELNET" }).waitFor();
    expect(await page.locator("dl.facts").innerText()).toContain("not UTF-8");
    const hex = await page.getByLabel("Response as hex").textContent();
    expect(hex).toBe("00000000  48 49 ff fe 00 01 80 7f  0a                       |HI.......|");
    await shoot("service-hex");
    const text = page
      .getByRole("group", { name: "Show the response as" })
      .getByRole("button", { name: "Text" });
    await text.click();
    expect(await text.getAttribute("aria-pressed")).toBe("true");
    expect(await page.getByLabel("Response as text").textContent()).toContain("HI\uFFFD\uFFFD");
  });

  test("an unstored service says so; a bad address names the ip", async () => {
    await page.goto(url("/services/10.200.0.1/80/http"));
    await page.getByRole("alert").waitFor();
    expect(await alertText()).toContain("Nothing is stored for 10.200.0.1:80:http.");
    await page.goto(url("/services/not-an-ip/80/http"));
    await page.getByRole("alert").waitFor();
    expect(await alertText()).toMatch(/\(400\).*ip/s);
  });
});

describe("History", () => {
  const base = 1_764_547_200;
  const http = (status: string, server: string, extra = "") =>
    `HTTP/1.1 ${status}\r\nServer: ${server}\r\n${extra}Content-Length: 0\r\n`;
  const first = http("200 OK", "nginx/1.24");
  const second = http("200 OK", "nginx/1.26");
  const third = http("301 Moved Permanently", "nginx/1.26", "Location: https://example.test/\r\n");
  /** 22 builds of one service, a minute apart: more than a page of the console's history (20). */
  const BUILDS = 22;
  const bytesOf = (last: number) => Buffer.from([...BINARY, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, last]);

  beforeAll(async () => {
    const response = (ip: string, timestamp: number, text: string) =>
      json({ ip, port: 80, service: "http", timestamp, data_version: 2, data: { response_str: text } });
    const binary = (timestamp: number, bytes: Buffer) =>
      json({
        ip: "10.9.9.8",
        port: 23,
        service: "telnet",
        timestamp,
        data_version: 1,
        data: { response_bytes_utf8: bytes.toString("base64") },
      });
    // Newest first and with a duplicate: the history does not depend on the order of delivery.
    await publish([
      response("10.5.5.5", base + 240, third),
      response("10.5.5.5", base + 180, third),
      response("10.5.5.5", base + 120, second),
      response("10.5.5.5", base + 120, second),
      response("10.5.5.5", base + 60, first),
      response("10.5.5.5", base, first),
      ...Array.from({ length: BUILDS }, (_, build) =>
        response("10.5.5.6", base + build * 60, `HTTP/1.1 200 OK\r\nX-Build: ${build}\r\n`),
      ),
      binary(base, bytesOf(0x17)),
      binary(base + 60, bytesOf(0xff)),
    ]);
    await pipeline.waitForDrain({ timeoutMs: 60_000, expectedOutcomes: 2 * published });
  }, 90_000);

  /** The timeline's rows once loaded: short hash, and whether each is marked current. */
  async function timeline(): Promise<Array<{ sha: string; current: boolean }>> {
    await page.locator('section.history[aria-busy="false"] table.timeline tbody tr').first().waitFor();
    return page.locator("table.timeline tbody tr").evaluateAll((rows) =>
      rows.map((row) => ({
        sha: row.getAttribute("data-sha")!.slice(0, 12),
        current: row.querySelector(".badge.current") !== null,
      })),
    );
  }
  const sha = (text: string | Buffer) => createHash("sha256").update(text).digest("hex").slice(0, 12);
  const changes = (view: "text" | "hex") => page.getByLabel(`Changes as ${view}`);

  test("lists each distinct response newest first, the current one marked, and what changed last", async () => {
    await page.goto(url("/services/10.5.5.5/80/http"));
    expect(await timeline()).toEqual([
      { sha: sha(third), current: true },
      { sha: sha(second), current: false },
      { sha: sha(first), current: false },
    ]);
    const rows = page.locator("table.timeline tbody tr");
    expect(await rows.nth(0).locator("td").first().innerText()).toMatch(/–/);
    expect(await rows.nth(1).locator("td").first().innerText()).not.toMatch(/–/);
    expect(await rows.nth(0).locator("td.number").textContent()).toBe(`${third.length} B`);

    // The newest is chosen first: what changed from the one before it.
    expect(await page.getByRole("button", { name: sha(third) }).getAttribute("aria-pressed")).toBe("true");
    await page.getByRole("heading", { name: `Changes from ${sha(second)} to ${sha(third)}` }).waitFor();
    const diff = changes("text");
    expect(await diff.locator("del").allTextContents()).toEqual(["- HTTP/1.1 200 OK\n"]);
    expect(await diff.locator("ins").allTextContents()).toEqual([
      "+ HTTP/1.1 301 Moved Permanently\n",
      "+ Location: https://example.test/\n",
    ]);
    await shoot("service-history");

    await page.getByRole("button", { name: sha(second) }).click();
    await page.getByRole("heading", { name: `Changes from ${sha(first)} to ${sha(second)}` }).waitFor();
    expect(await diff.locator("del").allTextContents()).toEqual(["- Server: nginx/1.24\n"]);
    expect(await diff.locator("ins").allTextContents()).toEqual(["+ Server: nginx/1.26\n"]);
    expect(await diff.locator("span.same").allTextContents()).toEqual([
      "  HTTP/1.1 200 OK\n",
      "  Content-Length: 0\n",
    ]);

    await page.getByRole("button", { name: sha(first) }).click();
    await page.getByRole("heading", { name: `The oldest response kept, ${sha(first)}` }).waitFor();
    expect(await page.getByLabel("The oldest response kept, as text").textContent()).toBe(first);
  });

  test("pages older and back, and compares the oldest of a page with the newest of the next", async () => {
    await page.goto(url("/services/10.5.5.6/80/http"));
    const build = (number: number) => sha(`HTTP/1.1 200 OK\r\nX-Build: ${number}\r\n`);
    const newest = Array.from({ length: BUILDS }, (_, index) => build(BUILDS - 1 - index));
    const firstPage = await timeline();
    expect(firstPage.map((row) => row.sha)).toEqual(newest.slice(0, 20));
    expect(firstPage.filter((row) => row.current).map((row) => row.sha)).toEqual([newest[0]]);

    await page.getByRole("button", { name: newest[19]! }).click();
    await page.getByRole("heading", { name: `Changes from ${newest[20]} to ${newest[19]}` }).waitFor();
    expect(await changes("text").locator("del").allTextContents()).toEqual(["- X-Build: 1\n"]);
    expect(await changes("text").locator("ins").allTextContents()).toEqual(["+ X-Build: 2\n"]);

    await page.getByRole("button", { name: "Older →" }).click();
    await page.waitForURL(/pageToken=/);
    await page.waitForFunction(() => document.querySelectorAll("table.timeline tbody tr").length === 2);
    expect((await timeline()).map((row) => row.sha)).toEqual(newest.slice(20));
    expect(await page.getByRole("button", { name: "Older →" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "← Newer" }).click();
    await page.waitForFunction(() => document.querySelectorAll("table.timeline tbody tr").length === 20);
  });

  test("shows what changed in a response that is not UTF-8 as a diff of hex dumps", async () => {
    await page.goto(url("/services/10.9.9.8/23/telnet"));
    const [newer, older] = [bytesOf(0xff), bytesOf(0x17)];
    expect(await timeline()).toEqual([
      { sha: sha(newer), current: true },
      { sha: sha(older), current: false },
    ]);
    const diff = changes("hex");
    expect(await diff.locator("span.same").allTextContents()).toEqual([
      "  00000000  48 49 ff fe 00 01 80 7f  0a 10 11 12 13 14 15 16  |HI..............|\n",
    ]);
    expect(await diff.locator("del").allTextContents()).toEqual([
      "- 00000010  17                                                |.|\n",
    ]);
    expect(await diff.locator("ins").allTextContents()).toEqual([
      "+ 00000010  ff                                                |.|\n",
    ]);
    await shoot("service-history-hex");
    await page
      .getByRole("group", { name: "Show the changes as" })
      .getByRole("button", { name: "Text" })
      .click();
    expect(await changes("text").textContent()).toContain("\uFFFD");
  });
});

describe("Rejects", () => {
  test("lists every reject with its reason and detail, filters by reason, shows the raw data", async () => {
    await page.goto(url("/rejects"));
    await page.locator('section.results[aria-busy="false"] tbody tr').first().waitFor();
    const reasons = await page.locator("tbody tr td:nth-child(2)").allTextContents();
    expect([...reasons].sort()).toEqual(["invalid_ip", "invalid_json", "invalid_port"]);
    // The reason list counts each (from /v1/stats).
    await expect
      .poll(() => page.getByLabel("Reason").locator("option").allTextContents())
      .toContain("invalid_port (1)");
    await shoot("rejects");

    await page.getByLabel("Reason").selectOption("invalid_json");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/reason=invalid_json/);
    await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 1);
    const row = page.locator("tbody tr");
    expect(await row.locator(".detail").textContent()).toMatch(/JSON/i);
    await row.locator("summary").click();
    expect(await row.getByLabel("Data as text").textContent()).toBe("{not json");
  });

  test("an unknown reason in the URL gets a message listing the real ones", async () => {
    await page.goto(url("/rejects?reason=bogus"));
    await page.getByRole("alert").waitFor();
    expect(await alertText()).toContain("invalid_json");
  });
});

describe("Pipeline", () => {
  test("shows the totals move while the scanner publishes, and the topology", async () => {
    await page.goto(url("/pipeline"));
    const publishedTotal = page.locator('[data-total="published"]');
    await publishedTotal.waitFor();
    const before = Number((await publishedTotal.textContent())!.replaceAll(",", ""));
    expect(before).toBe(published);
    const storedBefore = Number(
      (await page.locator('[data-total="stored"]').textContent())!.replaceAll(",", ""),
    );

    const scanning = runScanner(
      {
        ...scannerOptions(["--count", "60", "--rate", "30"]),
        project: pipeline.projectId,
        emulatorHost: pipeline.pubsubHost,
        topic: pipeline.topic,
      },
      { onPublished: () => void published++ },
    );
    // Moving while it publishes, not only at the end: a value between before and before + 60.
    await page.waitForFunction(
      ([from]) => {
        const value = Number(
          document.querySelector('[data-total="published"]')?.textContent?.replaceAll(",", ""),
        );
        return value > from! && value < from! + 60;
      },
      [before],
      { timeout: 20_000 },
    );
    await scanning;
    await page.waitForFunction(
      ([from]) =>
        Number(document.querySelector('[data-total="stored"]')?.textContent?.replaceAll(",", "")) > from!,
      [storedBefore],
      { timeout: 20_000 },
    );
    expect(await page.locator("[data-latency]").textContent()).toMatch(/^p50 \d.* · p99 \d/);
    for (const instance of pipeline.instances) {
      expect(await page.locator(`tr[data-subscription="${instance.subscription}"]`).count()).toBe(1);
      const acknowledged = page.locator(`tr[data-instance="${instance.index}"] [data-acknowledged]`);
      expect(Number((await acknowledged.textContent())?.replaceAll(",", ""))).toBeGreaterThan(0);
    }
    expect(await page.locator(`tr[data-subscription="${pipeline.deadLetterSubscription}"]`).count()).toBe(1);
    const canvas = page.locator(".chart canvas").first();
    expect((await canvas.boundingBox())!.width).toBeGreaterThan(200);
    await shoot("pipeline");
  });

  test("a message one subscription cannot deliver appears as a dead letter", async () => {
    await page.goto(url("/pipeline"));
    await page.locator('[data-total="deadLettered"]').waitFor();
    // Everything earlier processed first, so only this message is left for the killed server.
    await pipeline.waitForDrain({ timeoutMs: 60_000, expectedOutcomes: 2 * published });
    const second = pipeline.instances[1]!;
    await second.kill("SIGKILL");
    const data = scan({ ip: "10.7.7.7", port: 7, service: "echo", timestamp: 1_764_547_200 });
    try {
      await publish([data]);
      const letter = page.locator("[data-dead-letter]").filter({ hasText: second.subscription });
      await letter
        .first()
        .waitFor({ timeout: 60_000 })
        .catch(async (error: Error) => {
          // What the feed saw, to tell a page that did not update from a feed that saw nothing.
          const feed = (await (await fetch(url("/pipeline.json"))).json()) as Record<string, unknown>;
          const letters = await pipeline.deadLettered();
          throw new Error(
            `${error.message}\nfeed: ${JSON.stringify({ totals: feed.totals, deadLetters: feed.deadLetters })}\n` +
              `dead-letter subscription: ${JSON.stringify(letters.map((each) => each.attributes))}`,
          );
        });
      expect(await letter.first().textContent()).toContain("after 5 attempts");
      expect(await letter.first().textContent()).toContain("10.7.7.7");
      await page.waitForFunction(
        () => Number(document.querySelector('[data-total="deadLettered"]')?.textContent) >= 1,
      );
      await shoot("pipeline-dead-letter");
    } finally {
      await second.restart();
    }
  }, 90_000);
});

describe("The page as a whole", () => {
  test("has no accessibility violations axe can find, in any view", async () => {
    for (const path of [
      "/services",
      "/services/10.9.9.9/23/TELNET",
      "/services/10.5.5.5/80/HTTP",
      "/services/10.9.9.8/23/TELNET",
      "/rejects",
      "/pipeline",
      "/services?ip=x",
    ]) {
      await page.goto(url(path));
      await page.getByRole("heading", { level: 1 }).waitFor();
      await page.waitForFunction(() => document.querySelector('[aria-busy="true"]') === null);
      const { violations } = await new AxeBuilder({ page })
        .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
        .analyze();
      expect(
        violations.map(
          (violation) => `${path}: ${violation.id} ${violation.nodes.map((node) => node.target).join(" ")}`,
        ),
      ).toEqual([]);
    }
  });

  test("is keyboard-operable: Tab reaches the views, Enter follows them", async () => {
    await page.goto(url("/services"));
    await listedKeys();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Tab"); // Services
    await page.keyboard.press("Tab"); // Rejects
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Rejects");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/rejects$/);
    await page.getByRole("heading", { name: "Rejects" }).waitFor();
    // Focus moved to the new view, so the next Tab starts inside it.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
  });

  test("fits a narrow window without sideways scrolling of the page", async () => {
    const narrow = await browser.newPage({ viewport: { width: 360, height: 740 } });
    try {
      for (const path of [
        "/services",
        "/services/10.9.9.9/23/TELNET",
        "/services/10.9.9.8/23/TELNET",
        "/rejects",
        "/pipeline",
      ]) {
        await narrow.goto(url(path));
        await narrow.getByRole("heading", { level: 1 }).waitFor();
        // Each view's data has arrived: its table or its list of facts (the widest parts of every view).
        await narrow.locator("main table, main dl").first().waitFor();
        await narrow.waitForFunction(() => document.querySelector('[aria-busy="true"]') === null);
        const overflow = await narrow.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, path).toBeLessThanOrEqual(0);
      }
      if (screenshots) await narrow.screenshot({ path: new URL("narrow.png", screenshots).pathname });
    } finally {
      await narrow.close();
    }
  });

  test("an unknown page says so with a way back, never a blank screen", async () => {
    await page.goto(url("/nowhere"));
    expect(await page.getByRole("alert").textContent()).toContain("not a page of the console");
    await page.goto(url("/services/"));
    await page.getByRole("heading", { level: 1 }).waitFor();
    expect(await page.locator("#main").innerText()).not.toBe("");
  });
});

/** The scanner's own options for `flags`, as `npm run scanner` would read them. */
function scannerOptions(flags: string[]): ScannerOptions {
  const options = parseOptions(flags, {});
  if (options === "help") throw new Error("unreachable: no --help");
  return options;
}

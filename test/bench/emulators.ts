// emulators.readyMs: `npm run emulators:embedded` (emulators/dist/cli.mjs, the bundle of emulators/cli.ts),
// process start -> both ports accept; emulators.firstRpc.*: the first request each then answers.
// emulators.queryPage: one 50-document page of a collection newest first, over 100,000 documents ÷ over 100,
// through the real client to emulators/cli.ts; and how long seeding 100,000 documents in batches of 500 takes.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { Timestamp, type CollectionReference, type Query } from "@google-cloud/firestore";
import { Client, credentials } from "@grpc/grpc-js";
import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";
import { freePort, waitForPort } from "@scan-ingest/emulator-shared/ports";
import { emulatorFirestore } from "@scan-ingest/pipeline/clients";
import { alternate, median, progress, repositoryRoot } from "./measure.ts";

export interface EmulatorFigures {
  readyMs: number;
  /** Milliseconds of each emulator's first request after a start, over a new connection (medians). */
  firstRpc: { firestoreMs: number; pubsubMs: number };
  repetitions: number;
  queryPage: QueryPageFigures;
}

export interface QueryPageFigures {
  /** Median ms of the first page over the large collection ÷ over the small one. */
  firstRatio: number;
  /** The same for a page after a cursor in the middle (startAfter a document snapshot). */
  middleRatio: number;
  firstLargeMs: number;
  firstSmallMs: number;
  middleLargeMs: number;
  middleSmallMs: number;
  /** The first query over the large collection, which builds its ordered index. */
  firstQueryLargeMs: number;
  /** Seeding the large collection with sequential WriteBatches of 500 documents. */
  seedMs: number;
  large: number;
  small: number;
  pages: number;
}

/** The embedded emulators running in a child process of their own, as `npm run emulators:embedded`. */
export interface EmbeddedCli {
  child: ChildProcess;
  /** host:port of each emulator. */
  firestoreHost: string;
  pubsubHost: string;
  /** Milliseconds from spawning the process to both ports accepting connections. */
  readyMs: number;
  stop(): Promise<void>;
}

/** What `npm run emulators:embedded` runs, as node's arguments (package.json is its one home). */
function embeddedCommand(): string[] {
  const manifest = JSON.parse(readFileSync(`${repositoryRoot}package.json`, "utf8")) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = manifest.scripts["emulators:embedded"]!.split(/\s+/);
  if (command !== "node") throw new Error(`npm run emulators:embedded runs ${command}, not node`);
  if (!existsSync(`${repositoryRoot}${args[0]}`))
    throw new Error(`${args[0]} is missing: run npm run build (npm ci makes it too)`);
  return args;
}

/** Starts `npm run emulators:embedded`'s script on two free ports; resolves once both accept connections. */
export async function startEmbeddedCli(): Promise<EmbeddedCli> {
  const [firestorePort, pubsubPort] = [await freePort(), await freePort()];
  const command = embeddedCommand();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...command, "--firestore-port", String(firestorePort), "--pubsub-port", String(pubsubPort)],
    { cwd: repositoryRoot, stdio: ["ignore", "ignore", "pipe"] },
  );
  let errors = "";
  child.stderr!.on("data", (chunk: Buffer) => (errors += chunk));
  const exited = once(child, "exit");
  // Should the bench itself fail, the emulators must not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let ready = false;
  const failed = exited.then(() => {
    if (!ready) throw new Error(`${command[0]} exited before it was ready:\n${errors}`);
  });
  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill();
    await exited;
  };
  const decided = new AbortController();
  // Every 2 ms: readyMs is a figure of the bench.
  const listening = async (port: number) => {
    if (!(await waitForPort("127.0.0.1", port, 30_000, { everyMs: 2, signal: decided.signal })))
      throw new Error(`nothing accepts connections on port ${port}`);
  };
  try {
    await Promise.race([Promise.all([listening(firestorePort), listening(pubsubPort)]), failed]);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    decided.abort();
  }
  ready = true;
  return {
    child,
    firestoreHost: `127.0.0.1:${firestorePort}`,
    pubsubHost: `127.0.0.1:${pubsubPort}`,
    readyMs: performance.now() - started,
    stop,
  };
}

/** One start of the CLI on two free ports; resolves with the milliseconds until both accept connections. */
export async function readyOnce(): Promise<number> {
  const cli = await startEmbeddedCli();
  await cli.stop();
  return cli.readyMs;
}

/** A protobuf message of one string field, number 1: the request of each first RPC. */
function oneStringField(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > 127) throw new RangeError("a one-byte length only");
  return Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
}

/**
 * Milliseconds of one unary call over a new gRPC channel, connection included, as a client's first call;
 * any status counts as an answer (a missing document is NOT_FOUND).
 */
async function firstCall(host: string, method: string, request: Buffer): Promise<number> {
  const client = new Client(host, credentials.createInsecure());
  const started = performance.now();
  await new Promise<void>((resolve) =>
    client.makeUnaryRequest(
      method,
      (message: Buffer) => message,
      (message: Buffer) => message,
      request,
      () => resolve(),
    ),
  );
  const ms = performance.now() - started;
  client.close();
  return ms;
}

/** The first request each emulator answers after a start: lazy work at start-up would show here. */
async function firstRpcs(): Promise<{ readyMs: number; firestoreMs: number; pubsubMs: number }> {
  const cli = await startEmbeddedCli();
  try {
    const database = `projects/${DEFAULT_PROJECT}/databases/(default)`;
    return {
      readyMs: cli.readyMs,
      firestoreMs: await firstCall(
        cli.firestoreHost,
        "/google.firestore.v1.Firestore/GetDocument",
        oneStringField(`${database}/documents/bench/first`),
      ),
      pubsubMs: await firstCall(
        cli.pubsubHost,
        "/google.pubsub.v1.Publisher/ListTopics",
        oneStringField(`projects/${DEFAULT_PROJECT}`),
      ),
    };
  } finally {
    await cli.stop();
  }
}

const LARGE = 100_000;
const SMALL = 100;
const PAGE = 50;
const BATCH = 500;

/** Writes `count` documents shaped like the console's services, each second newer than the last, in batches of 500. */
async function seedServices(collection: CollectionReference, count: number): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < count; start += BATCH) {
    const batch = collection.firestore.batch();
    for (let n = start; n < Math.min(count, start + BATCH); n++) {
      batch.set(collection.doc(`10.0.${n >> 8}.${n & 255}:443`), {
        ip: `10.0.${n >> 8}.${n & 255}`,
        port: 443,
        service: n % 4 === 0 ? "HTTP" : "HTTPS",
        scannedAt: Timestamp.fromMillis(Date.UTC(2025, 0, 1) + n * 1000),
        banner: `server ${n % 97}`,
      });
    }
    await batch.commit();
  }
  return performance.now() - started;
}

/** Milliseconds of one query through the client, checking it returned a full page. */
async function pageMs(query: Query): Promise<number> {
  const started = performance.now();
  const page = await query.get();
  const ms = performance.now() - started;
  if (page.size !== PAGE) throw new Error(`a page held ${page.size} documents, not ${PAGE}`);
  return ms;
}

/** Pages newest first over 100,000 documents and over 100, alternating, in one emulators/cli.ts process. */
export async function benchQueryPage(options: { pages: number }): Promise<QueryPageFigures> {
  const cli = await startEmbeddedCli();
  const db = emulatorFirestore({ host: cli.firestoreHost, projectId: "bench" });
  try {
    const large = db.collection("services-large");
    const small = db.collection("services-small");
    progress(`emulators: seeding ${LARGE} documents in batches of ${BATCH}`);
    const seedMs = await seedServices(large, LARGE);
    await seedServices(small, SMALL);
    const newestFirst = (collection: CollectionReference) =>
      collection.orderBy("scannedAt", "desc").limit(PAGE);
    const firstQueryLargeMs = await pageMs(newestFirst(large));
    await pageMs(newestFirst(small));
    // The cursor a console holds after paging partway: a document's snapshot (in the small collection a
    // quarter of the way, so a full page still follows it).
    const at = async (collection: CollectionReference, position: number) =>
      (await collection.orderBy("scannedAt", "desc").offset(position).limit(1).get()).docs[0]!;
    const [largeMiddle, smallMiddle] = [await at(large, LARGE / 2), await at(small, SMALL / 4)];
    progress(
      `emulators: ${options.pages} rounds of first and middle pages over ${LARGE} and ${SMALL} documents`,
    );
    const times = await alternate(options.pages, {
      firstLarge: () => pageMs(newestFirst(large)),
      firstSmall: () => pageMs(newestFirst(small)),
      middleLarge: () => pageMs(newestFirst(large).startAfter(largeMiddle)),
      middleSmall: () => pageMs(newestFirst(small).startAfter(smallMiddle)),
    });
    const [firstLargeMs, firstSmallMs, middleLargeMs, middleSmallMs] = [
      median(times.firstLarge),
      median(times.firstSmall),
      median(times.middleLarge),
      median(times.middleSmall),
    ];
    return {
      firstRatio: firstLargeMs / firstSmallMs,
      middleRatio: middleLargeMs / middleSmallMs,
      firstLargeMs,
      firstSmallMs,
      middleLargeMs,
      middleSmallMs,
      firstQueryLargeMs,
      seedMs,
      large: LARGE,
      small: SMALL,
      pages: options.pages,
    };
  } finally {
    await db.terminate();
    await cli.stop();
  }
}

export async function benchEmulators(options: { repetitions: number }): Promise<EmulatorFigures> {
  progress(`emulators: ${options.repetitions} starts of npm run emulators:embedded`);
  const starts: Array<Awaited<ReturnType<typeof firstRpcs>>> = [];
  for (let start = 0; start < options.repetitions; start++) starts.push(await firstRpcs());
  const firstRpc = {
    firestoreMs: median(starts.map((start) => start.firestoreMs)),
    pubsubMs: median(starts.map((start) => start.pubsubMs)),
  };
  const queryPage = await benchQueryPage({ pages: 10 * options.repetitions });
  const round = (ms: number) => ms.toFixed(1);
  // Rows of main.ts's table (emulators.queryPage.*); the progress line also shows the small side.
  progress(
    `emulators.queryPage: first page ${round(queryPage.firstLargeMs)} ms over ${LARGE} ÷ ${round(queryPage.firstSmallMs)} ms over ${SMALL} = ${queryPage.firstRatio.toFixed(2)}; ` +
      `middle page ${round(queryPage.middleLargeMs)} ÷ ${round(queryPage.middleSmallMs)} ms = ${queryPage.middleRatio.toFixed(2)}; ` +
      `first query over ${LARGE} (builds the index) ${round(queryPage.firstQueryLargeMs)} ms; seeding ${LARGE} in batches of ${BATCH}: ${round(queryPage.seedMs / 1000)} s`,
  );
  return {
    readyMs: median(starts.map((start) => start.readyMs)),
    firstRpc,
    repetitions: options.repetitions,
    queryPage,
  };
}

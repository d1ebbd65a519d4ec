// vsGoogle.*: the embedded emulators against Google's own (the Google Cloud CLI's or the Firebase CLI's
// Java emulators, @scan-ingest/emulator-google), each figure the embedded one ÷ Google's, measured in one
// run: start-up, Firestore keep-newest transactions, Pub/Sub publish + streaming pull, resident memory.
// Both sides are child processes served by the same clients in this process; rounds alternate between them.
import { readdir, readFile } from "node:fs/promises";
import type { Firestore, Timestamp } from "@google-cloud/firestore";
import type { Message, PubSub } from "@google-cloud/pubsub";
import {
  findGoogleEmulators,
  startGoogleFirestore,
  startGooglePubsub,
  type GoogleEmulator,
  type GoogleEmulatorsInstall,
} from "@scan-ingest/emulator-google";
import { emulatorFirestore, emulatorPubSub } from "@scan-ingest/pipeline/clients";
import { createRandom } from "@scan-ingest/scanner";
import { readyOnce, startEmbeddedCli, type EmbeddedCli } from "./emulators.ts";
import { alternate, median, processCpuMs, progress } from "./measure.ts";

export interface VsGoogleOptions {
  /** Alternating starts of the embedded CLI, Google's Firestore and Google's Pub/Sub. */
  starts: number;
  /** Firestore: seconds of unmeasured load on both sides at once first (Java's JIT), then measured rounds. */
  firestore: { warmUpSeconds: number; roundSeconds: number; rounds: number; workers: number; keys: number };
  /** Pub/Sub: one unmeasured round of `warmUpMessages` on both sides at once, then measured rounds. */
  pubsub: { warmUpMessages: number; messages: number; rounds: number };
}

/** CPU milliseconds per operation of the client (this process) and of the emulator's process. */
export interface CpuPerOp {
  clientMs: number;
  serverMs: number;
  /** (client + server CPU) ÷ elapsed: 2 means both of this machine's cores were busy. */
  coresBusy: number;
}

export interface SideRate {
  /** Median over the measured rounds. */
  perSec: number;
  /** Each measured round's rate, in the order they ran. */
  rounds: number[];
  /** During the warm-up, with both sides loaded at once: not comparable with the rounds. */
  warmUpPerSec: number;
  cpu: CpuPerOp;
}

export interface VsGoogleFigures {
  google: { source: string; java: number; firestoreVersion: string; pubsubVersion: string };
  start: {
    /** Embedded ÷ the slower of Google's two; each ratio the median of the rounds' own. */
    ratio: number;
    firestoreRatio: number;
    pubsubRatio: number;
    embeddedMs: number;
    googleFirestoreMs: number;
    googlePubsubMs: number;
    samples: { embedded: number[]; googleFirestore: number[]; googlePubsub: number[] };
  };
  firestore: {
    ratio: number;
    embedded: SideRate & FirestoreCounts;
    google: SideRate & FirestoreCounts;
    workers: number;
    keys: number;
  };
  pubsub: {
    ratio: number;
    embedded: SideRate & { duplicates: number };
    google: SideRate & { duplicates: number };
    messages: number;
    /** One round each with the subscriber's default flow control (1000 messages held). */
    withClientDefaults: { ratio: number; embeddedPerSec: number; googlePerSec: number };
  };
  memory: {
    /** Embedded ÷ Google's two processes together. */
    ratio: number;
    embeddedMiB: number;
    googleMiB: number;
    googleFirestoreMiB: number;
    googlePubsubMiB: number;
    /** The same right after the start, before any load. */
    idle: { embeddedMiB: number; googleFirestoreMiB: number; googlePubsubMiB: number };
  };
}

export interface FirestoreCounts {
  attemptsPerTransaction: number;
  written: number;
  skipped: number;
  failed: number;
}

/** Google's emulators are not installed here: why, for the table and the JSON. */
export interface NotMeasured {
  notMeasured: string;
}

const PROJECT = "demo-vs-google";
const MiB = 1024 * 1024;

/** VmRSS of a process and all its descendants (Linux /proc), in bytes. */
async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  let children: number[] = [];
  try {
    for (const task of await readdir(`/proc/${pid}/task`)) {
      const listed = await readFile(`/proc/${pid}/task/${task}/children`, "utf8").catch(() => "");
      children.push(...listed.split(" ").filter(Boolean).map(Number));
    }
  } catch {
    children = [];
  }
  let total = kB * 1024;
  for (const child of children) total += await residentBytes(child).catch(() => 0);
  return total;
}

/** Time and CPU of one measured stretch: this process (the clients) and the emulator's. */
interface Clocked {
  elapsedMs: number;
  clientMs: number;
  serverMs: number;
}

/** Starts measuring elapsed time and the CPU of this process and of `serverPid`; call the result to stop. */
async function startClock(serverPid: number): Promise<() => Promise<Clocked>> {
  const serverBefore = (await processCpuMs(serverPid)) ?? 0;
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  return async () => {
    const elapsedMs = performance.now() - started;
    const client = process.cpuUsage(clientBefore);
    const serverMs = ((await processCpuMs(serverPid)) ?? 0) - serverBefore;
    return { elapsedMs, clientMs: (client.user + client.system) / 1000, serverMs };
  };
}

/**
 * The median of the rounds' own ratios (round i of one side ÷ round i of the other, run back to back),
 * so that the machine's load drifting between rounds (other work shares its 2 cores) cancels out.
 */
function pairedRatio(numerators: readonly number[], denominators: readonly number[]): number {
  return median(numerators.map((value, index) => value / denominators[index]!));
}

interface Side {
  name: "embedded" | "google";
  firestore: Firestore;
  pubsub: PubSub;
  firestorePid: number;
  pubsubPid: number;
}

interface RmwCounts {
  done: number;
  /** Runs of the transaction function: more than `done` when contention aborted some (the SDK retries). */
  attempts: number;
  written: number;
  skipped: number;
  failed: number;
}

/**
 * `workers` loops, each running keep-newest transactions (read the document, write it only when the scan
 * is newer, as functions/src/store.ts) on random keys among `keys`, until `seconds` have passed; a
 * quarter of the scans are older than what is stored by then. A fresh collection per round.
 */
async function rmwRound(
  side: Side,
  collectionName: string,
  options: { seconds: number; workers: number; keys: number },
): Promise<RmwCounts & Clocked> {
  const collection = side.firestore.collection(collectionName);
  // The same sequence of keys and timestamps in every round, on both sides.
  const random = createRandom("vs-google-rmw");
  const base = Math.floor(Date.now() / 1000) - 86_400;
  const counts: RmwCounts = { done: 0, attempts: 0, written: 0, skipped: 0, failed: 0 };
  const stop = await startClock(side.firestorePid);
  const deadline = performance.now() + options.seconds * 1000;
  let next = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const index = next++;
      const slot = random.int(options.keys);
      const key = `10.0.${slot >> 8}.${slot & 255}:443:HTTP`;
      const timestamp = base + index - (random.int(4) === 0 ? 100_000 : 0);
      const reference = collection.doc(key);
      try {
        const wrote = await side.firestore.runTransaction(async (transaction) => {
          counts.attempts++;
          const stored = await transaction.get(reference);
          const storedAt = stored.get("scannedAt") as Timestamp | undefined;
          if (stored.exists && storedAt !== undefined && storedAt.seconds >= timestamp) return false;
          transaction.set(reference, {
            ip: key.split(":")[0],
            port: 443,
            service: "HTTP",
            scannedAt: new Date(timestamp * 1000),
            response: `service response ${index % 100}`,
          });
          return true;
        });
        counts.done++;
        if (wrote) counts.written++;
        else counts.skipped++;
      } catch {
        counts.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  return { ...counts, ...(await stop()) };
}

/**
 * Publishes `count` messages in batches to a new topic and resolves when its one subscription got them
 * all (each acked on receipt); the clock runs from the first publish to the last receipt.
 *
 * `clientDefaults` false lets the subscriber hold the whole round: by default it holds at most 1000
 * messages and counts an acked one as held until its ack batch is flushed (up to 100 ms later), which
 * caps any emulator at roughly 10,000 messages a second on the client's side.
 */
async function pubsubRound(
  side: Side,
  name: string,
  count: number,
  clientDefaults = false,
): Promise<Clocked & { duplicates: number }> {
  const [topic] = await side.pubsub.createTopic(name);
  await topic.createSubscription(name, { ackDeadlineSeconds: 60 });
  const subscription = side.pubsub.subscription(
    name,
    clientDefaults ? {} : { flowControl: { maxMessages: count, maxBytes: 1024 * MiB } },
  );
  const batched = side.pubsub.topic(name, { batching: { maxMessages: 1000, maxMilliseconds: 10 } });
  const seen = new Uint8Array(count);
  let received = 0;
  let duplicates = 0;
  try {
    const all = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${side.name} Pub/Sub: ${received} of ${count} messages in 120 s`)),
        120_000,
      );
      subscription.on("error", reject);
      subscription.on("message", (message: Message) => {
        message.ack();
        const index = Number(message.attributes.index);
        if (seen[index]) duplicates++;
        else {
          seen[index] = 1;
          if (++received === count) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
    });
    const payload = (index: number) =>
      Buffer.from(
        JSON.stringify({ ip: `10.1.${index >> 8}.${index & 255}`, port: 443, service: "HTTP", index }),
      );
    const stop = await startClock(side.pubsubPid);
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        batched.publishMessage({ data: payload(index), attributes: { index: String(index) } }),
      ),
    );
    await all;
    return { ...(await stop()), duplicates };
  } finally {
    subscription.removeAllListeners();
    await subscription.close();
    await subscription.delete().catch(() => undefined);
    await topic.delete().catch(() => undefined);
  }
}

function cpuPerOp(runs: Clocked[], ops: number): CpuPerOp {
  const sum = (pick: (run: (typeof runs)[number]) => number) =>
    runs.reduce((total, run) => total + pick(run), 0);
  return {
    clientMs: sum((run) => run.clientMs) / ops,
    serverMs: sum((run) => run.serverMs) / ops,
    coresBusy: (sum((run) => run.clientMs) + sum((run) => run.serverMs)) / sum((run) => run.elapsedMs),
  };
}

async function benchStart(install: GoogleEmulatorsInstall, starts: number) {
  progress(`vsGoogle: ${starts} alternating starts of emulators/cli.ts, Google's Firestore and Pub/Sub`);
  const startStop = (start: typeof startGoogleFirestore) => async () => {
    const emulator = await start(install, { port: 0 });
    await emulator.stop();
    return emulator.readyMs;
  };
  const samples = await alternate(starts, {
    embedded: readyOnce,
    googleFirestore: startStop(startGoogleFirestore),
    googlePubsub: startStop(startGooglePubsub),
  });
  const embeddedMs = median(samples.embedded);
  const googleFirestoreMs = median(samples.googleFirestore);
  const googlePubsubMs = median(samples.googlePubsub);
  const slower = samples.googleFirestore.map((ms, index) => Math.max(ms, samples.googlePubsub[index]!));
  return {
    ratio: pairedRatio(samples.embedded, slower),
    firestoreRatio: pairedRatio(samples.embedded, samples.googleFirestore),
    pubsubRatio: pairedRatio(samples.embedded, samples.googlePubsub),
    embeddedMs,
    googleFirestoreMs,
    googlePubsubMs,
    samples,
  };
}

async function benchFirestore(sides: Side[], options: VsGoogleOptions["firestore"]) {
  const { workers, keys } = options;
  progress(
    `vsGoogle: Firestore keep-newest transactions, ${workers} workers on ${keys} keys, ` +
      `${options.warmUpSeconds} s warm-up then ${options.rounds} × ${options.roundSeconds} s on each side`,
  );
  let round = 0;
  const measured = async (side: Side, seconds: number) => {
    const run = await rmwRound(side, `rmw-${side.name}-${round++}`, { seconds, workers, keys });
    return { ...run, perSec: (run.done / run.elapsedMs) * 1000 };
  };
  // Unmeasured, so both sides at once: each gets the whole stretch to warm up (Java's JIT needs it most).
  const warmUp = Object.fromEntries(
    await Promise.all(
      sides.map(async (side) => [side.name, await measured(side, options.warmUpSeconds)] as const),
    ),
  );
  const runs = await alternateSides(sides, options.rounds, (side) => measured(side, options.roundSeconds));
  const rate = (name: string) => {
    const rounds = runs[name]!;
    const total = (pick: (counts: RmwCounts) => number) => rounds.reduce((sum, run) => sum + pick(run), 0);
    return {
      perSec: median(rounds.map((run) => run.perSec)),
      rounds: rounds.map((run) => run.perSec),
      warmUpPerSec: warmUp[name]!.perSec,
      cpu: cpuPerOp(
        rounds,
        total((counts) => counts.done),
      ),
      attemptsPerTransaction: total((counts) => counts.attempts) / total((counts) => counts.done),
      written: total((counts) => counts.written),
      skipped: total((counts) => counts.skipped),
      failed: total((counts) => counts.failed),
    };
  };
  const embedded = rate("embedded");
  const google = rate("google");
  return { ratio: pairedRatio(embedded.rounds, google.rounds), embedded, google, workers, keys };
}

/** `rounds` measured rounds of every side, alternating so that load changes fall on both; each side's runs. */
async function alternateSides<Run extends { perSec: number }>(
  sides: Side[],
  rounds: number,
  measure: (side: Side) => Promise<Run>,
): Promise<Record<string, Run[]>> {
  const runs: Record<string, Run[]> = Object.fromEntries(sides.map((side) => [side.name, []]));
  const rounders = sides.map((side) => [
    side.name,
    async () => {
      const run = await measure(side);
      runs[side.name]!.push(run);
      return run.perSec;
    },
  ]);
  await alternate(rounds, Object.fromEntries(rounders));
  return runs;
}

async function benchPubsub(sides: Side[], options: VsGoogleOptions["pubsub"]) {
  progress(
    `vsGoogle: Pub/Sub publish + streaming pull, ${options.warmUpMessages} messages of warm-up then ` +
      `${options.rounds} × ${options.messages} on each side`,
  );
  let round = 0;
  const measured = async (side: Side, count: number, clientDefaults = false) => {
    const run = await pubsubRound(side, `vs-${side.name}-${round++}`, count, clientDefaults);
    return { ...run, perSec: (count / run.elapsedMs) * 1000 };
  };
  // Unmeasured, so both sides at once: each gets the whole stretch to warm up (Java's JIT needs it most).
  const warmUp = Object.fromEntries(
    await Promise.all(
      sides.map(async (side) => [side.name, (await measured(side, options.warmUpMessages)).perSec] as const),
    ),
  );
  // Not the figure: one round each with the subscriber's default flow control, for comparison.
  const clientDefaults: Record<string, number> = {};
  for (const side of sides) clientDefaults[side.name] = (await measured(side, options.messages, true)).perSec;
  const runs = await alternateSides(sides, options.rounds, (side) => measured(side, options.messages));
  const rate = (name: string) => {
    const rounds = runs[name]!;
    return {
      perSec: median(rounds.map((run) => run.perSec)),
      rounds: rounds.map((run) => run.perSec),
      warmUpPerSec: warmUp[name]!,
      cpu: cpuPerOp(rounds, options.messages * rounds.length),
      duplicates: rounds.reduce((sum, run) => sum + run.duplicates, 0),
    };
  };
  const embedded = rate("embedded");
  const google = rate("google");
  return {
    ratio: pairedRatio(embedded.rounds, google.rounds),
    embedded,
    google,
    messages: options.messages,
    withClientDefaults: {
      ratio: clientDefaults.embedded! / clientDefaults.google!,
      embeddedPerSec: clientDefaults.embedded!,
      googlePerSec: clientDefaults.google!,
    },
  };
}

/**
 * Both sides get the same clients, so the figures compare the emulators and not the client settings. The
 * Firestore client is an admin ("Bearer owner"): Google's emulator evaluates no security rules for it,
 * which the embedded one never does.
 */
function clients(firestoreHost: string, pubsubHost: string) {
  return {
    firestore: emulatorFirestore({ host: firestoreHost, projectId: PROJECT }),
    pubsub: emulatorPubSub({ host: pubsubHost, projectId: PROJECT }),
  };
}

export async function benchVsGoogle(options: VsGoogleOptions): Promise<VsGoogleFigures | NotMeasured> {
  const found = await findGoogleEmulators();
  if ("missing" in found) {
    progress(`vsGoogle: not measured: ${found.missing}`);
    return { notMeasured: found.missing };
  }
  const install = found.found;
  const google = {
    source: install.source,
    java: install.javaMajor,
    firestoreVersion: install.firestore.version,
    pubsubVersion: install.pubsub.version,
  };
  const start = await benchStart(install, options.starts);

  progress("vsGoogle: starting both sides for the load");
  const running: Array<{ stop(): Promise<void> }> = [];
  const sides: Side[] = [];
  try {
    const embedded: EmbeddedCli = await startEmbeddedCli();
    running.push(embedded);
    const googleFirestore: GoogleEmulator = await startGoogleFirestore(install, { port: 0 });
    running.push(googleFirestore);
    const googlePubsub: GoogleEmulator = await startGooglePubsub(install, { port: 0 });
    running.push(googlePubsub);
    sides.push(
      {
        name: "embedded",
        ...clients(embedded.firestoreHost, embedded.pubsubHost),
        firestorePid: embedded.child.pid!,
        pubsubPid: embedded.child.pid!,
      },
      {
        name: "google",
        ...clients(googleFirestore.host, googlePubsub.host),
        firestorePid: googleFirestore.pid,
        pubsubPid: googlePubsub.pid,
      },
    );
    const pids = [embedded.child.pid!, googleFirestore.pid, googlePubsub.pid];
    const [idleEmbedded, idleFirestore, idlePubsub] = await Promise.all(pids.map(residentBytes));
    const firestore = await benchFirestore(sides, options.firestore);
    const pubsub = await benchPubsub(sides, options.pubsub);
    const [embeddedBytes, firestoreBytes, pubsubBytes] = await Promise.all(pids.map(residentBytes));
    const memory = {
      ratio: embeddedBytes! / (firestoreBytes! + pubsubBytes!),
      embeddedMiB: embeddedBytes! / MiB,
      googleMiB: (firestoreBytes! + pubsubBytes!) / MiB,
      googleFirestoreMiB: firestoreBytes! / MiB,
      googlePubsubMiB: pubsubBytes! / MiB,
      idle: {
        embeddedMiB: idleEmbedded! / MiB,
        googleFirestoreMiB: idleFirestore! / MiB,
        googlePubsubMiB: idlePubsub! / MiB,
      },
    };
    return { google, start, firestore, pubsub, memory };
  } finally {
    for (const side of sides) await Promise.all([side.firestore.terminate(), side.pubsub.close()]);
    for (const each of running.reverse()) await each.stop();
  }
}

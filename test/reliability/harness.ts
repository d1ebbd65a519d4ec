// The reliability suite's shell: the whole pipeline (@scan-ingest/pipeline) with the real Google clients, the
// emulators' fault injection, per-subscription accounting of every message, and the comparison with the model.
// Emulators: FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST when set (e.g. Google's), else embedded ones.
import { Timestamp, type DocumentData, type Firestore } from "@google-cloud/firestore";
import { startPipeline, type DeadLetter, type OutcomeEvent, type Pipeline } from "@scan-ingest/pipeline";
import { emulatorFirestore, emulatorPubSub } from "@scan-ingest/pipeline/clients";
import { firestoreReader, type Stored } from "@scan-ingest/functions/api/read";
import type { Cursor } from "@scan-ingest/functions/api/token";
import { parseConfig } from "@scan-ingest/functions/config";
import type { ExpectedState, PublishedMessage } from "./model.ts";

const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST || undefined;
const pubsubHost = process.env.PUBSUB_EMULATOR_HOST || undefined;

/** Fault injection needs both embedded emulators; against others the suite runs without faults. */
export const faultsAvailable = firestoreHost === undefined && pubsubHost === undefined;
/** The words test titles use for the run's conditions. */
export const underFaults = faultsAvailable
  ? "under 30 % duplicates, reordering, 20 % UNAVAILABLE and 10 % lost commit replies"
  : "without faults (external emulators: fault injection needs the embedded ones)";

/** The suite's faults: duplicates, reordering delays, UNAVAILABLE RPCs and lost commit replies. */
export const FAULTS = { duplicateRate: 0.3, maxDelayMs: 200, unavailableRate: 0.2, lostReplyRate: 0.1 };

/**
 * The store deadline (STORE_DEADLINE_MS, docs/contract.md §6) of the runs that go through storage outages: the
 * Firestore client retries UNAVAILABLE for minutes, so only an outage longer than this makes a delivery fail.
 * Long enough that the suite's 20 % UNAVAILABLE alone rarely reaches it on a loaded machine; other runs keep
 * the default, as the crash test's five attempts must outlast a restart, not a deadline.
 */
export const OUTAGE_STORE_DEADLINE_MS = 10_000;
/** Longer than that deadline by enough that deliveries started just after the outage began fail too. */
export const OUTAGE_MS = OUTAGE_STORE_DEADLINE_MS + 5_000;

/** Each message's position in the workload: dead letters get new ids, their attributes say which they were. */
export const INDEX_ATTRIBUTE = "reliability-index";
/** Space-separated subscriptions (short names) on which every push of the message fails (embedded only). */
export const FAIL_PUSH_ATTRIBUTE = "reliability-fail-push";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Run {
  pipeline: Pipeline;
  /** Every outcome line of every function server, in arrival order. */
  outcomes: OutcomeEvent[];
  services: string;
  rejects: string;
  /** The function servers' other output, for failure messages. */
  output: string[];
  /** Publishes in order; resolves with the message ids in the same order. */
  publish(messages: ReadonlyArray<{ data: Buffer; attributes?: Record<string, string> }>): Promise<string[]>;
  /** Every document of a collection by id. */
  read(collection: string): Promise<Map<string, DocumentData>>;
  /** Every entry of a service's history, through the read API's own reader, page after page. */
  history(key: string): Promise<Stored[]>;
  stop(): Promise<void>;
}

export interface RunOptions {
  instances: number;
  /** Each instance behind its own push subscription, so every message reaches every instance. */
  duplicateStorm?: boolean;
  retryBackoffSeconds?: { minimum: number; maximum: number };
  /** The function servers' STORE_DEADLINE_MS, when not the default. */
  storeDeadlineMs?: number;
  /** "google": the pipeline starts Google's emulators itself (`npm start -- --emulators google`). */
  emulators?: "embedded" | "google";
}

// Pipelines start one at a time: each start builds the function and then stops esbuild's service, which a
// build running alongside in this process would still be using.
let starting: Promise<unknown> = Promise.resolve();

/** Starts the pipeline with collections (and, on a shared emulator, a topic) of its own. */
export function startRun(name: string, options: RunOptions): Promise<Run> {
  const run = starting.then(
    () => startRunNow(name, options),
    () => startRunNow(name, options),
  );
  starting = run.catch(() => undefined);
  return run;
}

async function startRunNow(name: string, options: RunOptions): Promise<Run> {
  const suffix = `${name}-${process.pid}-${Date.now().toString(36)}`;
  const services = `services-${suffix}`;
  const rejects = `rejects-${suffix}`;
  const outcomes: OutcomeEvent[] = [];
  const output: string[] = [];
  const pipeline = await startPipeline({
    instances: options.instances,
    ...(options.duplicateStorm && { duplicateStorm: true }),
    ...(options.emulators && { emulators: options.emulators }),
    ...(firestoreHost && { firestoreHost }),
    ...(pubsubHost && { pubsubHost }),
    ...(pubsubHost && { topic: `scan-topic-${suffix}` }),
    functionEnv: {
      SERVICES_COLLECTION: services,
      REJECTS_COLLECTION: rejects,
      ...(options.storeDeadlineMs && { STORE_DEADLINE_MS: String(options.storeDeadlineMs) }),
    },
    retryBackoffSeconds: options.retryBackoffSeconds ?? { minimum: 0.2, maximum: 2 },
    onOutcome: (event) => outcomes.push(event),
    onOutput: (line) => {
      output.push(`${line.instance ?? "pipeline"} ${line.stream}: ${line.text}`);
      if (output.length > 400) output.splice(0, 200);
    },
  });
  const client = emulatorPubSub({ host: pipeline.pubsubHost, projectId: pipeline.projectId });
  // An admin to Google's emulator, so it reads past the deny-all rules (see pipeline/src/clients.ts).
  const reader = emulatorFirestore({ host: pipeline.firestoreHost, projectId: pipeline.projectId });
  const topic = client.topic(pipeline.topic, { batching: { maxMessages: 500, maxMilliseconds: 20 } });
  return {
    pipeline,
    outcomes,
    services,
    rejects,
    output,
    publish: (messages) =>
      Promise.all(
        messages.map((message) =>
          topic.publishMessage({
            data: message.data,
            ...(message.attributes && { attributes: message.attributes }),
          }),
        ),
      ),
    async read(collection) {
      const snapshot = await reader.collection(collection).get();
      return new Map(snapshot.docs.map((document) => [document.id, document.data()]));
    },
    history: historyReader(reader, services),
    async stop() {
      await client.close().catch(() => undefined);
      await reader.terminate().catch(() => undefined);
      await pipeline.stop();
    },
  };
}

/** Turns the suite's faults on (embedded emulators only); returns false when they are not available. */
export function turnFaultsOn(pipeline: Pipeline): boolean {
  if (!pipeline.firestore || !pipeline.pubsub) return false;
  pipeline.pubsub.faults.duplicateRate = FAULTS.duplicateRate;
  pipeline.pubsub.faults.maxDelayMs = FAULTS.maxDelayMs;
  pipeline.firestore.faults.unavailableRate = FAULTS.unavailableRate;
  pipeline.firestore.faults.lostReplyRate = FAULTS.lostReplyRate;
  pipeline.pubsub.faults.failPush = (subscription, message) => {
    const targets = message.attributes[FAIL_PUSH_ATTRIBUTE];
    return (
      targets !== undefined &&
      targets.split(" ").includes(subscription.slice(subscription.lastIndexOf("/") + 1))
    );
  };
  return true;
}

/** Every Firestore RPC answers UNAVAILABLE for `ms`, then the suite's rate again (embedded emulators only). */
export async function storageOutage(pipeline: Pipeline, ms: number): Promise<void> {
  if (!pipeline.firestore) throw new Error("a storage outage needs the embedded Firestore emulator");
  pipeline.firestore.faults.unavailableRate = 1;
  try {
    await sleep(ms);
  } finally {
    pipeline.firestore.faults.unavailableRate = FAULTS.unavailableRate;
  }
}

/** Turns every fault off, so reading the final state is not itself faulted. */
export function turnFaultsOff(pipeline: Pipeline): void {
  if (pipeline.pubsub)
    Object.assign(pipeline.pubsub.faults, { duplicateRate: 0, maxDelayMs: 0, failPush: undefined });
  if (pipeline.firestore) Object.assign(pipeline.firestore.faults, { unavailableRate: 0, lostReplyRate: 0 });
}

/**
 * Where every (subscription, message) pair ended: instances sharing a subscription account for it together, and
 * in a duplicate storm each instance for its own.
 */
export interface Accounting {
  /** "subscription: messageId" pairs no instance it feeds acknowledged and it never dead-lettered: lost. */
  lost: string[];
  /** Messages some instance acknowledged (stored, stale, duplicate or rejected). */
  processed: Set<string>;
  /** Per instance, the messages it acknowledged. */
  ackedBy: Map<number, Set<string>>;
  /** Per instance, the messages it answered with an error at least once (then retried by Pub/Sub). */
  failedBy: Map<number, Set<string>>;
  /** Per subscription (short name), the messages it dead-lettered. */
  deadLetteredBy: Map<string, Set<string>>;
  /** Messages no instance acknowledged: each one dead-lettered from every subscription. */
  deadLetteredEverywhere: Set<string>;
  /** Dead letters of this run, over all subscriptions. */
  deadLetters: number;
  /** Deliveries a function answered with an error (retried by Pub/Sub). */
  failedOutcomes: number;
  /** Outcomes, or dead letters, of messages this run did not publish: must be none. */
  strangers: string[];
}

/**
 * Accounts for every published message on every subscription. A dead letter has an id of its
 * own on the dead-letter topic: it is matched by INDEX_ATTRIBUTE (messageIds[index]) and its source subscription.
 */
export function account(run: Run, messageIds: readonly string[], deadLetters: DeadLetter[]): Accounting {
  const published = new Set(messageIds);
  const perInstance = () =>
    new Map(run.pipeline.instances.map((instance) => [instance.index, new Set<string>()]));
  const ackedBy = perInstance();
  const failedBy = perInstance();
  /** Each subscription, and the instances it feeds. */
  const feeds = new Map<string, number[]>();
  for (const instance of run.pipeline.instances)
    feeds.set(instance.subscription, [...(feeds.get(instance.subscription) ?? []), instance.index]);
  const deadLetteredBy = new Map([...feeds.keys()].map((subscription) => [subscription, new Set<string>()]));
  let failedOutcomes = 0;
  const strangers: string[] = [];
  for (const event of run.outcomes) {
    if (event.outcome === "failed") {
      failedOutcomes++;
      if (event.messageId !== undefined) failedBy.get(event.instance)?.add(event.messageId);
      continue;
    }
    if (event.messageId === undefined || !published.has(event.messageId)) {
      strangers.push(`instance ${event.instance}: ${event.outcome} ${event.messageId ?? "(no messageId)"}`);
      continue;
    }
    ackedBy.get(event.instance)?.add(event.messageId);
  }
  let deadLetterCount = 0;
  for (const letter of deadLetters) {
    const index = letter.attributes[INDEX_ATTRIBUTE];
    const messageId = index === undefined ? undefined : messageIds[Number(index)];
    // A shared external emulator may hold other runs' dead letters: they carry no index of this run.
    if (messageId === undefined) continue;
    const source = letter.attributes.CloudPubSubDeadLetterSourceSubscription ?? "";
    const lettered = deadLetteredBy.get(source.slice(source.lastIndexOf("/") + 1));
    if (lettered === undefined) {
      strangers.push(`dead letter of ${messageId} from ${source}, no subscription of this run`);
      continue;
    }
    deadLetterCount++;
    lettered.add(messageId);
  }
  const lost: string[] = [];
  const processed = new Set<string>();
  for (const [subscription, instances] of feeds) {
    const letteredHere = deadLetteredBy.get(subscription)!;
    for (const id of messageIds) {
      if (instances.some((index) => ackedBy.get(index)!.has(id))) processed.add(id);
      else if (!letteredHere.has(id)) lost.push(`${subscription}: ${id}`);
    }
  }
  const deadLetteredEverywhere = new Set(messageIds.filter((id) => !processed.has(id)));
  return {
    lost,
    processed,
    ackedBy,
    failedBy,
    deadLetteredBy,
    deadLetteredEverywhere,
    deadLetters: deadLetterCount,
    failedOutcomes,
    strangers,
  };
}

/**
 * Accounts for every published message, waiting up to `timeoutMs` for the last ones. A count of outcomes is
 * not enough after a crash: a redelivered message acknowledged twice (a `duplicate`) makes up for one still
 * waiting out its retry backoff. Returns the last accounting, lost messages and all, when time runs out.
 */
export async function accountWhenSettled(
  run: Run,
  messageIds: readonly string[],
  timeoutMs: number,
): Promise<Accounting> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const accounting = account(run, messageIds, await run.pipeline.deadLettered());
    if (accounting.lost.length === 0 || Date.now() >= deadline) return accounting;
    await sleep(500);
  }
}

/** Every way `services` and `rejects` differ from the model; empty when they match exactly. */
/** Every entry of a service's history through the read API's own reader (read.ts), page after page. */
export function historyReader(firestore: Firestore, services: string): (key: string) => Promise<Stored[]> {
  const api = firestoreReader(firestore, parseConfig({ SERVICES_COLLECTION: services }));
  return async (key) => {
    const items: Stored[] = [];
    let cursor: Cursor | undefined;
    do {
      const page = await api.history(key, 7, cursor);
      items.push(...(page?.items ?? []));
      cursor = page?.next;
    } while (cursor);
    return items;
  };
}

/**
 * The history of `services/{key}` as the read API serves it (read.ts, every page) against the model's: each
 * distinct response with its oldest and newest scan time and its text, newest lastSeen first.
 */
async function historyDifferences(
  run: Pick<Run, "history">,
  key: string,
  model: ExpectedState["services"] extends Map<string, infer Service> ? Service : never,
): Promise<string[]> {
  const served = (await run.history(key)).map(({ id, data }) => [
    id,
    (data.firstSeen as Timestamp).seconds,
    (data.lastSeen as Timestamp).seconds,
    data.response,
  ]);
  const wanted = [...model.history]
    .sort(([a, x], [b, y]) => y.lastSeen - x.lastSeen || (a < b ? 1 : -1))
    .map(([sha, entry]) => [sha, entry.firstSeen, entry.lastSeen, entry.response]);
  return JSON.stringify(served) === JSON.stringify(wanted)
    ? []
    : [
        `services/${key} serves the history ${JSON.stringify(served)}, the model says ${JSON.stringify(wanted)}`,
      ];
}

export async function differences(
  run: Pick<Run, "read" | "services" | "rejects" | "history">,
  expected: ExpectedState,
): Promise<string[]> {
  const problems: string[] = [];
  const services = await run.read(run.services);
  for (const [key, model] of expected.services) {
    const stored = services.get(key);
    if (stored === undefined) {
      problems.push(`services/${key} is missing`);
      continue;
    }
    const scannedAt = stored.scannedAt instanceof Timestamp ? stored.scannedAt.seconds : stored.scannedAt;
    const actual = {
      ip: stored.ip,
      port: stored.port,
      service: stored.service,
      response: stored.response,
      responseSize: stored.responseSize,
      responseSha256: stored.responseSha256,
      responseTruncated: stored.responseTruncated,
      scannedAt,
    };
    const wanted = {
      ip: model.ip,
      port: model.port,
      service: model.service,
      response: model.response,
      responseSize: model.responseSize,
      responseSha256: model.responseSha256,
      responseTruncated: false,
      scannedAt: model.scannedAt,
    };
    if (JSON.stringify(actual) !== JSON.stringify(wanted))
      problems.push(`services/${key} is ${JSON.stringify(actual)}, the model says ${JSON.stringify(wanted)}`);
    const dataVersion = model.winners.get(String(stored.messageId));
    if (dataVersion === undefined)
      problems.push(
        `services/${key} came from ${stored.messageId}, not from one of the winners ${[...model.winners.keys()].join(", ")}`,
      );
    else if (stored.dataVersion !== dataVersion)
      problems.push(
        `services/${key} has dataVersion ${stored.dataVersion}; its message ${stored.messageId} had ${dataVersion}`,
      );
    if (!(stored.updatedAt instanceof Timestamp) || !(stored.publishTime instanceof Timestamp))
      problems.push(`services/${key} lacks updatedAt or publishTime`);
    problems.push(...(await historyDifferences(run, key, model)));
  }
  for (const key of services.keys())
    if (!expected.services.has(key)) problems.push(`services/${key} is not in the model`);

  const rejects = await run.read(run.rejects);
  for (const [messageId, reason] of expected.rejects) {
    const stored = rejects.get(messageId);
    if (stored === undefined) problems.push(`rejects/${messageId} (${reason}) is missing`);
    else if (stored.reason !== reason)
      problems.push(
        `rejects/${messageId} says ${stored.reason}, the contract says ${reason}: ${stored.detail}`,
      );
  }
  for (const id of rejects.keys())
    if (!expected.rejects.has(id))
      problems.push(`rejects/${id} is not in the model (${rejects.get(id)?.reason})`);
  return problems;
}

/** The messages the model runs on: those some instance processed (the others sit in the dead-letter topic). */
export function processedMessages(
  published: ReadonlyArray<PublishedMessage>,
  accounting: Accounting,
): PublishedMessage[] {
  return published.filter((message) => accounting.processed.has(message.messageId));
}

/** A one-line summary of a run for the log and docs/performance.md. */
export function figures(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(([name, value]) => `${name} ${value}`)
    .join(", ");
}

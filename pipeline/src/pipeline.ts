// The whole ingest pipeline on this machine, as a library: Firestore and Pub/Sub emulators (embedded, or the
// ones named), the built ingestScan under N functions-framework servers sharing one push subscription on
// scan-topic behind one endpoint (front.ts), with dead-letter topic scan-dead-letter after 5 attempts; or, as
// the duplicate storm, each server fed by its own push subscription. `npm start`, the reliability suite
// and the benchmarks build on it. Like firebase-tools' emulator registry, every part that starts is
// registered in one stack and stopped in reverse order from there: on a failed start, or by stop().
import { withDeadline } from "@scan-ingest/functions/deadline";
import type { PubSub } from "@google-cloud/pubsub";
import type { FirestoreEmulator } from "@scan-ingest/emulator-firestore";
import type { PubSubEmulator } from "@scan-ingest/emulator-pubsub";
import { emulatorPubSub } from "./clients.ts";
import { DEFAULT_PROJECT } from "./defaults.ts";
import {
  createDeadLetterReader,
  watchDeadLetters,
  type DeadLetter,
  type DeadLetterReader,
} from "./dead-letters.ts";
import { startEmulators, type OnStop } from "./emulators.ts";
import { assertBuilt, buildDist, distDirectory } from "./function-dist.ts";
import { startFront, type Front } from "./front.ts";
import { startInstance, type FunctionInstance, type OutputLine } from "./instances.ts";
import { processed, type InstanceTotals, type OutcomeEvent, type Totals } from "./outcomes.ts";

export type { Totals } from "./outcomes.ts";
import { PipelineStartError } from "./start-error.ts";
import { ensurePushTopology, pipelineNames, type PushTopology } from "./topology.ts";

export type EmbeddedFirestoreHandle = FirestoreEmulator;
export type EmbeddedPubsubHandle = PubSubEmulator;

export interface PipelineOptions {
  /** Function servers sharing one push subscription behind one endpoint: each message processed once. Default 1. */
  instances?: number;
  /**
   * The duplicate storm, for contention tests: each server fed by its own push subscription (scan-sub,
   * scan-sub-2, ...), so every message is processed by every instance. Default false.
   */
  duplicateStorm?: boolean;
  /** Default: the emulators' default project (DEFAULT_PROJECT). */
  projectId?: string;
  /** Which emulators to start when no host is given: the embedded ones (default) or Google's own. */
  emulators?: "embedded" | "google";
  /** host:port of a Firestore emulator to use; absent: start the embedded one. */
  firestoreHost?: string;
  /** host:port of a Pub/Sub emulator to use; absent: start the embedded one. */
  pubsubHost?: string;
  /** Port of the started Firestore emulator; default 0 (a free one). */
  firestorePort?: number;
  /** Port of the started Pub/Sub emulator; default 0 (a free one). */
  pubsubPort?: number;
  /**
   * How often the started embedded Firestore deletes documents expired under firestore.indexes.json's TTL
   * policies; default its own (DEFAULT_TTL_SWEEP_MS, a minute). Tests shorten it.
   */
  firestoreTtlSweepMs?: number;
  /**
   * Port of the push endpoint, the function servers' ports following it: with several shared instances the
   * front listens there and the servers from one above (8091, ...); else server 1 does (8090, 8091, ...).
   * Default 0 (free ones).
   */
  functionPort?: number;
  /** Port of the read API (scansApi) server; absent: no API server (0: a free port). */
  apiPort?: number;
  /** Extra environment for the function servers (e.g. SERVICES_COLLECTION), over this process's own. */
  functionEnv?: Record<string, string>;
  /** Default true: build functions/dist first; false: serve functions/dist as it is. */
  build?: boolean;
  /** Default "scan-topic". Another topic T gets subscription T-sub (T-sub-2, ... in a storm), T-dead-letter, T-dead-letter-sub. */
  topic?: string;
  /** Redelivery backoff of the push subscriptions; default 1 s growing to 10 s. */
  retryBackoffSeconds?: { minimum: number; maximum: number };
  /** Every outcome line of every function server, parsed. */
  onOutcome?: (event: OutcomeEvent) => void;
  /** Other output of the function servers and the pipeline's notices; default: stderr, prefixed. */
  onOutput?: (line: OutputLine) => void;
}

export interface Pipeline {
  projectId: string;
  firestoreHost: string;
  pubsubHost: string;
  topic: string;
  deadLetterTopic: string;
  deadLetterSubscription: string;
  /** Present when embedded: counters and faults. */
  firestore?: EmbeddedFirestoreHandle;
  pubsub?: EmbeddedPubsubHandle;
  instances: FunctionInstance[];
  /** The push subscriptions on the topic and where each pushes: one shared by all instances, or one each in a storm. */
  subscriptions: PushSubscription[];
  /** The front the shared subscription pushes to, when several instances share it. */
  front?: Pick<Front, "port" | "url">;
  /** The read API's server, when apiPort was given. */
  api?: FunctionInstance;
  totals(): Totals;
  /** Each instance's outcomes, by instance number: its share of the deliveries. */
  instanceTotals(): InstanceTotals[];
  /**
   * Resolves when every push subscription has nothing outstanding (embedded), or when `expectedOutcomes`
   * acknowledged outcomes plus dead letters were seen and the servers went quiet (external emulators).
   * Rejects after `timeoutMs` (default 60 s) saying what is left.
   */
  waitForDrain(options?: { timeoutMs?: number; expectedOutcomes?: number }): Promise<void>;
  /** What the dead-letter subscription holds, left there (pulled, then released). */
  deadLettered(): Promise<DeadLetter[]>;
  /** Stops everything it started: function servers, then the embedded emulators. */
  stop(): Promise<void>;
}

/** A push subscription of the pipeline and the endpoint it delivers to. */
export interface PushSubscription {
  name: string;
  endpoint: string;
}

const TOPOLOGY_TIMEOUT_MS = 20_000;

type Emulators = Awaited<ReturnType<typeof startEmulators>>;

/** What every step reads: the options with their defaults, and where a part that started registers its stop. */
interface Setup {
  options: PipelineOptions;
  projectId: string;
  instanceCount: number;
  duplicateStorm: boolean;
  names: ReturnType<typeof pipelineNames>;
  output: (line: OutputLine) => void;
  onStop: OnStop;
}

/** Starts the pipeline; on any failure stops what it started and rejects with a PipelineStartError. */
export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const projectId = options.projectId ?? DEFAULT_PROJECT;
  const instanceCount = options.instances ?? 1;
  if (!Number.isInteger(instanceCount) || instanceCount < 1)
    throw new RangeError(`instances must be a whole number above 0, got ${instanceCount}`);

  // Disposed when this function throws; moved into stop() once everything started.
  await using started = new AsyncDisposableStack();
  const setup: Setup = {
    options,
    projectId,
    instanceCount,
    duplicateStorm: options.duplicateStorm ?? false,
    names: pipelineNames(options.topic),
    output: options.onOutput ?? writeToStderr,
    // A part that fails to stop does not keep the others (or the start's own error) from being reported.
    onStop: (stop) => started.defer(() => stop().then(ignore, ignore)),
  };

  const tally = createTally(options.onOutcome);
  const emulators = await buildAndStartEmulators(setup);
  const client = emulatorPubSub({ host: emulators.pubsub.host, projectId });
  setup.onStop(() => client.close());
  const servers = await startFunctionServers(setup, emulators.firestore.host, tally);
  await createTopology(setup, client, emulators.pubsub, servers.subscriptions);
  const deadLetters = watchDeadLetterTopic(setup, client, emulators.pubsub);
  const parts = { emulators, client, servers, tally, deadLetters };
  return runningPipeline(started.move(), setup, parts);
}

/** Counts each function server's outcomes by instance, and remembers when the last one arrived. */
function createTally(onOutcome: PipelineOptions["onOutcome"]) {
  const counts = new Map<number, InstanceTotals>();
  let lastOutcomeAt = 0;
  return {
    /** Starts counting for function server `index`. */
    add(index: number) {
      counts.set(index, { instance: index, stored: 0, stale: 0, duplicate: 0, rejected: 0, failed: 0 });
    },
    onOutcome(event: OutcomeEvent) {
      lastOutcomeAt = event.at;
      const tally = counts.get(event.instance);
      if (tally !== undefined) tally[event.outcome]++;
      onOutcome?.(event);
    },
    lastOutcomeAt: () => lastOutcomeAt,
    /** Every server's counts summed, with the dead letters counted elsewhere. */
    totals(deadLettered: number): Totals {
      const sum: Totals = { stored: 0, stale: 0, duplicate: 0, rejected: 0, failed: 0, deadLettered: 0 };
      for (const { instance: _instance, ...tally } of counts.values())
        for (const [name, value] of Object.entries(tally)) sum[name as keyof Totals] += value;
      sum.deadLettered = deadLettered;
      return sum;
    },
    /** A copy of each server's counts, in instance order. */
    byInstance: (): InstanceTotals[] => [...counts.values()].map((tally) => ({ ...tally })),
  };
}
type Tally = ReturnType<typeof createTally>;
type Servers = {
  instances: FunctionInstance[];
  subscriptions: PushSubscription[];
  front: Front | undefined;
  api: FunctionInstance | undefined;
};
type DeadLetterCount = { reader: DeadLetterReader; count: () => number };

/** Builds (or checks) functions/dist while the emulators start; both settle before a failure is thrown. */
async function buildAndStartEmulators({ options, onStop }: Setup): Promise<Emulators> {
  const built = options.build === false ? assertBuilt() : buildDist();
  const emulatorsStarting = startEmulators(options, onStop);
  // Every start settles before a failure is thrown, so all that started is registered.
  await settleAll<unknown>([built, emulatorsStarting]);
  return emulatorsStarting;
}

/**
 * Starts the N ingestScan servers and the push endpoint: shared, one subscription to the front before them (or
 * to the one server); in a storm, a subscription to each. Then the read API's server, when asked.
 */
async function startFunctionServers(
  { options, projectId, instanceCount, duplicateStorm, names, output, onStop }: Setup,
  firestoreHost: string,
  tally: Tally,
): Promise<Servers> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FIRESTORE_EMULATOR_HOST: firestoreHost,
    GOOGLE_CLOUD_PROJECT: projectId,
    ...options.functionEnv,
  };
  // No metadata server on a laptop: spares the auth library's probe and its warning.
  env.METADATA_SERVER_DETECTION ??= "none";
  const basePort = options.functionPort ?? 0;
  const fronted = !duplicateStorm && instanceCount > 1;
  const whenDown = duplicateStorm
    ? "its subscription's messages wait for a restart"
    : instanceCount > 1
      ? "the other instances take its deliveries until a restart"
      : "its messages wait for a restart";
  const server = (index: number, port: number, subscription: string, target?: "scansApi") =>
    startInstance({
      index,
      port,
      subscription,
      source: distDirectory,
      env,
      target,
      whenDown,
      onOutcome: tally.onOutcome,
      onOutput: output,
    }).then((instance) => {
      onStop(() => instance.kill());
      return instance;
    });
  const instances = await settleAll(
    Array.from({ length: instanceCount }, (_, offset) => {
      const index = offset + 1;
      tally.add(index);
      const subscription =
        duplicateStorm && index > 1 ? `${names.subscription}-${index}` : names.subscription;
      const port = basePort === 0 ? 0 : basePort + offset + (fronted ? 1 : 0);
      return server(index, port, subscription);
    }),
  );
  // The topic in the path: functions-framework's push conversion takes the event's source from it.
  const path = `/projects/${projectId}/topics/${names.topic}`;
  let front: Front | undefined;
  let subscriptions: PushSubscription[];
  if (fronted) {
    front = await startFront(basePort, instances).catch((error: NodeJS.ErrnoException) => {
      throw new PipelineStartError(
        "function",
        error.code === "EADDRINUSE"
          ? `the function instances' front cannot listen on port ${basePort}: it is in use. ` +
              `Stop what uses it (an earlier npm start?) or choose other function ports.`
          : `the function instances' front did not start: ${error.message}`,
        { port: basePort },
      );
    });
    const started = front;
    onStop(() => started.close());
    subscriptions = [{ name: names.subscription, endpoint: `${front.url}${path}` }];
  } else {
    subscriptions = instances.map((instance) => ({
      name: instance.subscription,
      endpoint: `http://127.0.0.1:${instance.port}${path}`,
    }));
  }
  const api =
    options.apiPort === undefined
      ? undefined
      : await server(instanceCount + 1, options.apiPort, "", "scansApi");
  return { instances, subscriptions, front, api };
}

/** Creates the topic, the dead-letter topic and the push subscriptions, with a deadline on each. */
async function createTopology(
  { options, names, output, onStop }: Setup,
  client: PubSub,
  pubsub: Emulators["pubsub"],
  subscriptions: PushSubscription[],
): Promise<void> {
  for (const { name, endpoint } of subscriptions) {
    const topology: PushTopology = {
      ...names,
      endpoint,
      subscription: name,
      ...(options.retryBackoffSeconds && { retryBackoffSeconds: options.retryBackoffSeconds }),
    };
    const warnings = await withDeadline(
      ensurePushTopology(client, topology),
      TOPOLOGY_TIMEOUT_MS,
      () =>
        new PipelineStartError(
          "topology",
          `the Pub/Sub emulator at ${pubsub.host} did not create ${name} within ` +
            `${TOPOLOGY_TIMEOUT_MS / 1000} s; is it a Pub/Sub emulator?`,
        ),
    );
    for (const warning of warnings) output({ stream: "stderr", text: warning });
  }
  // Left as pull subscriptions, external emulators keep what arrives later for the next run.
  if (pubsub.embedded === undefined) onStop(() => detachPush(client, subscriptions));
}

/** Opens the dead-letter subscription's reader, and on an external emulator counts what arrives there. */
function watchDeadLetterTopic(
  { projectId, names, onStop }: Setup,
  client: PubSub,
  pubsub: Emulators["pubsub"],
): DeadLetterCount {
  const reader = createDeadLetterReader(client, projectId, names.deadLetterSubscription);
  onStop(() => reader.close());
  const external = pubsub.embedded === undefined ? watchDeadLetters(reader) : undefined;
  if (external) onStop(async () => external.stop());
  const embedded = pubsub.embedded;
  return { reader, count: () => embedded?.counters.deadLettered ?? external?.count() ?? 0 };
}

/** The handle on what started: its addresses, its counts, waiting for a drain, and the one stop(). */
function runningPipeline(
  running: AsyncDisposableStack,
  { projectId, names }: Setup,
  parts: {
    emulators: Emulators;
    client: PubSub;
    servers: Servers;
    tally: Tally;
    deadLetters: DeadLetterCount;
  },
): Pipeline {
  const { emulators, client, servers, tally, deadLetters } = parts;
  const { firestore, pubsub } = emulators;
  const { instances, subscriptions, front, api } = servers;
  const totals = (): Totals => tally.totals(deadLetters.count());
  const subscriptionNames = subscriptions.map(({ name }) => client.subscription(name).name);
  let stopping: Promise<void> | undefined;
  const pipeline: Pipeline = {
    projectId,
    firestoreHost: firestore.host,
    pubsubHost: pubsub.host,
    topic: names.topic,
    deadLetterTopic: names.deadLetterTopic,
    deadLetterSubscription: names.deadLetterSubscription,
    instances,
    subscriptions,
    totals,
    instanceTotals: tally.byInstance,
    waitForDrain: (drain = {}) =>
      waitForDrain(drain, totals, tally.lastOutcomeAt, pubsub.embedded, subscriptionNames),
    deadLettered: () => deadLetters.reader.read(),
    stop: () => (stopping ??= running.disposeAsync()),
  };
  if (api) pipeline.api = api;
  if (front) pipeline.front = { port: front.port, url: front.url };
  if (firestore.embedded) pipeline.firestore = firestore.embedded;
  if (pubsub.embedded) pipeline.pubsub = pubsub.embedded;
  return pipeline;
}

/** Pipeline.waitForDrain: polls until the outcomes are in and the servers went quiet, or the time is up. */
async function waitForDrain(
  drain: { timeoutMs?: number; expectedOutcomes?: number },
  totals: () => Totals,
  lastOutcomeAt: () => number,
  embedded: PubSubEmulator | undefined,
  subscriptionNames: string[],
): Promise<void> {
  const timeoutMs = drain.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const quietMs = embedded ? 100 : 1_000;
  const settled = () => {
    const done = processed(totals());
    if (drain.expectedOutcomes !== undefined && done < drain.expectedOutcomes) return false;
    if (embedded && subscriptionNames.some((name) => embedded.counters.outstanding(name) > 0)) return false;
    return Date.now() - lastOutcomeAt() >= quietMs;
  };
  while (!settled()) {
    if (Date.now() >= deadline) throw new Error(`not drained after ${timeoutMs / 1000} s: ${left()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  function left(): string {
    const embeddedLeft = embedded
      ? subscriptionNames.map((name) => `${embedded.counters.outstanding(name)} outstanding on ${name}`)
      : [];
    const done = processed(totals());
    const expected =
      drain.expectedOutcomes === undefined ? [] : [`${done} of ${drain.expectedOutcomes} outcomes`];
    return [...embeddedLeft, ...expected].join(", ") || "function servers still busy";
  }
}

function ignore(): void {}

/** Like Promise.all, but waits for every promise, so nothing started is left unregistered when one fails. */
async function settleAll<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/** Turns the push subscriptions into pull ones, best effort, so an external emulator keeps their messages. */
async function detachPush(client: PubSub, subscriptions: PushSubscription[]): Promise<void> {
  await withDeadline(
    Promise.all(subscriptions.map(({ name }) => client.subscription(name).modifyPushConfig({}))),
    3_000,
    () => new Error("modifyPushConfig timed out"),
  ).catch(() => undefined);
}

function writeToStderr(line: OutputLine): void {
  const prefix = line.instance === undefined ? "pipeline" : `function ${line.instance}`;
  process.stderr.write(`${prefix} | ${line.text}\n`);
}

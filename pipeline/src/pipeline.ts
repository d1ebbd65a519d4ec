// The whole ingest pipeline on this machine, as a library: Firestore and Pub/Sub emulators (embedded, or the
// ones named), the built ingestScan under N functions-framework servers, each fed by its own push subscription
// on scan-topic with dead-letter topic scan-dead-letter after 5 attempts. `npm start`, the reliability suite
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
import { startInstance, type FunctionInstance, type OutputLine } from "./instances.ts";
import { processed, type OutcomeEvent, type Totals } from "./outcomes.ts";

export type { Totals } from "./outcomes.ts";
import { PipelineStartError } from "./start-error.ts";
import { ensurePushTopology, pipelineNames, type PushTopology } from "./topology.ts";

export type EmbeddedFirestoreHandle = FirestoreEmulator;
export type EmbeddedPubsubHandle = PubSubEmulator;

export interface PipelineOptions {
  /** Function servers, each fed by its own push subscription (every message is processed N times). Default 1. */
  instances?: number;
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
  /** Port of function server 1, the others follow (8090, 8091, ...); default 0 (free ones). */
  functionPort?: number;
  /** Port of the read API (scansApi) server; absent: no API server (0: a free port). */
  apiPort?: number;
  /** Extra environment for the function servers (e.g. SERVICES_COLLECTION), over this process's own. */
  functionEnv?: Record<string, string>;
  /** Default true: build functions/dist first; false: serve functions/dist as it is. */
  build?: boolean;
  /** Default "scan-topic". Another topic T gets subscriptions T-sub, T-sub-2, ..., T-dead-letter, T-dead-letter-sub. */
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
  /** The read API's server, when apiPort was given. */
  api?: FunctionInstance;
  totals(): Totals;
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

const TOPOLOGY_TIMEOUT_MS = 20_000;

type Emulators = Awaited<ReturnType<typeof startEmulators>>;

/** What every step reads: the options with their defaults, and where a part that started registers its stop. */
interface Setup {
  options: PipelineOptions;
  projectId: string;
  instanceCount: number;
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
  await createTopology(setup, client, emulators.pubsub, servers.instances);
  const deadLetters = watchDeadLetterTopic(setup, client, emulators.pubsub);
  const parts = { emulators, client, servers, tally, deadLetters };
  return runningPipeline(started.move(), setup, parts);
}

/** Counts each function server's outcomes by instance, and remembers when the last one arrived. */
function createTally(onOutcome: PipelineOptions["onOutcome"]) {
  const counts = new Map<number, Omit<Totals, "deadLettered">>();
  let lastOutcomeAt = 0;
  return {
    /** Starts counting for function server `index`. */
    add(index: number) {
      counts.set(index, { stored: 0, stale: 0, duplicate: 0, rejected: 0, failed: 0 });
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
      for (const tally of counts.values())
        for (const [name, value] of Object.entries(tally)) sum[name as keyof Totals] += value;
      sum.deadLettered = deadLettered;
      return sum;
    },
  };
}
type Tally = ReturnType<typeof createTally>;
type Servers = { instances: FunctionInstance[]; api: FunctionInstance | undefined };
type DeadLetterCount = { reader: DeadLetterReader; count: () => number };

/** Builds (or checks) functions/dist while the emulators start; both settle before a failure is thrown. */
async function buildAndStartEmulators({ options, onStop }: Setup): Promise<Emulators> {
  const built = options.build === false ? assertBuilt() : buildDist();
  const emulatorsStarting = startEmulators(options, onStop);
  // Every start settles before a failure is thrown, so all that started is registered.
  await settleAll<unknown>([built, emulatorsStarting]);
  return emulatorsStarting;
}

/** Starts the N ingestScan servers on their subscriptions' names, and the read API's server when asked. */
async function startFunctionServers(
  { options, projectId, instanceCount, names, output, onStop }: Setup,
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
  const server = (index: number, port: number, subscription: string, target?: "scansApi") =>
    startInstance({
      index,
      port,
      subscription,
      source: distDirectory,
      env,
      target,
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
      const subscription = index === 1 ? names.subscription : `${names.subscription}-${index}`;
      return server(index, basePort === 0 ? 0 : basePort + offset, subscription);
    }),
  );
  const api =
    options.apiPort === undefined
      ? undefined
      : await server(instanceCount + 1, options.apiPort, "", "scansApi");
  return { instances, api };
}

/** Creates the topic, the dead-letter topic and each server's push subscription, with a deadline on each. */
async function createTopology(
  { options, projectId, names, output, onStop }: Setup,
  client: PubSub,
  pubsub: Emulators["pubsub"],
  instances: FunctionInstance[],
): Promise<void> {
  for (const instance of instances) {
    // The topic in the path: functions-framework's push conversion takes the event's source from it.
    const endpoint = `http://127.0.0.1:${instance.port}/projects/${projectId}/topics/${names.topic}`;
    const topology: PushTopology = {
      ...names,
      endpoint,
      subscription: instance.subscription,
      ...(options.retryBackoffSeconds && { retryBackoffSeconds: options.retryBackoffSeconds }),
    };
    const warnings = await withDeadline(
      ensurePushTopology(client, topology),
      TOPOLOGY_TIMEOUT_MS,
      () =>
        new PipelineStartError(
          "topology",
          `the Pub/Sub emulator at ${pubsub.host} did not create ${instance.subscription} within ` +
            `${TOPOLOGY_TIMEOUT_MS / 1000} s; is it a Pub/Sub emulator?`,
        ),
    );
    for (const warning of warnings) output({ stream: "stderr", text: warning });
  }
  // Left as pull subscriptions, external emulators keep what arrives later for the next run.
  if (pubsub.embedded === undefined) onStop(() => detachPush(client, instances));
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
  const { instances, api } = servers;
  const totals = (): Totals => tally.totals(deadLetters.count());
  const subscriptionNames = instances.map((instance) => client.subscription(instance.subscription).name);
  let stopping: Promise<void> | undefined;
  const pipeline: Pipeline = {
    projectId,
    firestoreHost: firestore.host,
    pubsubHost: pubsub.host,
    topic: names.topic,
    deadLetterTopic: names.deadLetterTopic,
    deadLetterSubscription: names.deadLetterSubscription,
    instances,
    totals,
    waitForDrain: (drain = {}) =>
      waitForDrain(drain, totals, tally.lastOutcomeAt, pubsub.embedded, subscriptionNames),
    deadLettered: () => deadLetters.reader.read(),
    stop: () => (stopping ??= running.disposeAsync()),
  };
  if (api) pipeline.api = api;
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
async function detachPush(client: PubSub, instances: FunctionInstance[]): Promise<void> {
  await withDeadline(
    Promise.all(instances.map((instance) => client.subscription(instance.subscription).modifyPushConfig({}))),
    3_000,
    () => new Error("modifyPushConfig timed out"),
  ).catch(() => undefined);
}

function writeToStderr(line: OutputLine): void {
  const prefix = line.instance === undefined ? "pipeline" : `function ${line.instance}`;
  process.stderr.write(`${prefix} | ${line.text}\n`);
}

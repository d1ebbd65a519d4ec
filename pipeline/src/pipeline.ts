// The whole ingest pipeline on this machine, as a library: Firestore and Pub/Sub emulators (embedded, or the
// ones named), the built ingestScan under N functions-framework servers, each fed by its own push subscription
// on scan-topic with dead-letter topic scan-dead-letter after 5 attempts. `npm start`, the reliability suite
// and the benchmarks build on it.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { stop as stopEsbuild } from "esbuild";
import type { FirestoreEmulator } from "@scan-ingest/emulator-firestore";
import type { PubSubEmulator } from "@scan-ingest/emulator-pubsub";
import { buildFunction, distDirectory as dist } from "@scan-ingest/functions/build";
import { defaultTopology, ensurePushTopology, type PushTopology } from "./topology.ts";
import { emulator } from "./emulators.ts";
import { createDeadLetterReader, watchDeadLetters, type DeadLetter } from "./dead-letters.ts";
import {
  PipelineStartError,
  startFunctionServer,
  type FunctionInstance,
  type OutcomeEvent,
  type OutputLine,
} from "./function-server.ts";

export type EmbeddedFirestoreHandle = FirestoreEmulator;
export type EmbeddedPubsubHandle = PubSubEmulator;

export interface PipelineOptions {
  /** Function servers, each fed by its own push subscription (every message is processed N times). Default 1. */
  instances?: number;
  /** Default "demo-scan". */
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

/** Outcomes so far, over all instances; `failed` deliveries were not acknowledged and are retried. */
export interface Totals {
  stored: number;
  stale: number;
  duplicate: number;
  rejected: number;
  failed: number;
  deadLettered: number;
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

const DEFAULT_TOPIC = "scan-topic";
const TOPOLOGY_TIMEOUT_MS = 20_000;

/** The Pub/Sub names for a topic: the default names for scan-topic, derived ones for any other. */
export function pipelineNames(topic = DEFAULT_TOPIC) {
  const names = defaultTopology("");
  if (topic === names.topic) return names;
  return {
    ...names,
    topic,
    subscription: `${topic}-sub`,
    deadLetterTopic: `${topic}-dead-letter`,
    deadLetterSubscription: `${topic}-dead-letter-sub`,
  };
}

/** Starts the pipeline; on any failure stops what it started and rejects with a PipelineStartError. */
export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const projectId = options.projectId ?? "demo-scan";
  const instanceCount = options.instances ?? 1;
  if (!Number.isInteger(instanceCount) || instanceCount < 1)
    throw new RangeError(`instances must be a whole number above 0, got ${instanceCount}`);
  const names = pipelineNames(options.topic);
  const output = options.onOutput ?? writeToStderr;
  const counts = new Map<number, Omit<Totals, "deadLettered">>();
  const stops: Array<() => Promise<void>> = [];
  const stopStarted = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };

  let lastOutcomeAt = 0;
  const onOutcome = (event: OutcomeEvent) => {
    lastOutcomeAt = event.at;
    const tally = counts.get(event.instance);
    if (tally !== undefined) tally[event.outcome]++;
    options.onOutcome?.(event);
  };

  try {
    const startFirestore = async (port: number) =>
      (await import("@scan-ingest/emulator-firestore")).start({ port });
    const startPubsub = async (port: number) =>
      (await import("@scan-ingest/emulator-pubsub")).start({ port });
    const built = options.build === false ? assertBuilt() : buildDist();
    const emulatorsStarting = (async () => {
      const google = options.emulators === "google" ? await startGoogle(options, stops) : undefined;
      const firestoreStarting = emulator(
        "firestore",
        google?.firestore ?? options.firestoreHost,
        options.firestorePort,
        startFirestore,
        stops,
      );
      const pubsubStarting = emulator(
        "pubsub",
        google?.pubsub ?? options.pubsubHost,
        options.pubsubPort,
        startPubsub,
        stops,
      );
      await settleAll<unknown>([firestoreStarting, pubsubStarting]);
      return { firestore: await firestoreStarting, pubsub: await pubsubStarting };
    })();
    // Every start settles before a failure is thrown, so stopStarted() sees all that started.
    await settleAll<unknown>([built, emulatorsStarting]);
    const { firestore, pubsub } = await emulatorsStarting;
    const client = new PubSub({
      projectId,
      apiEndpoint: pubsub.host,
      emulatorMode: true,
      universeDomain: "googleapis.com",
    });
    stops.push(() => client.close());

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FIRESTORE_EMULATOR_HOST: firestore.host,
      GOOGLE_CLOUD_PROJECT: projectId,
      ...options.functionEnv,
    };
    // functions-framework prints the banner that says it listens only outside production.
    if (env.NODE_ENV === "production") delete env.NODE_ENV;
    // No metadata server on a laptop: spares the auth library's probe and its warning.
    env.METADATA_SERVER_DETECTION ??= "none";
    const basePort = options.functionPort ?? 0;
    const instances = await settleAll(
      Array.from({ length: instanceCount }, (_, offset) => {
        const index = offset + 1;
        counts.set(index, { stored: 0, stale: 0, duplicate: 0, rejected: 0, failed: 0 });
        return startFunctionServer({
          index,
          port: basePort === 0 ? 0 : basePort + offset,
          subscription: index === 1 ? names.subscription : `${names.subscription}-${index}`,
          source: dist,
          env,
          onOutcome,
          onOutput: output,
        }).then((instance) => {
          stops.push(() => instance.kill());
          return instance;
        });
      }),
    );

    const api =
      options.apiPort === undefined
        ? undefined
        : await startFunctionServer({
            index: instanceCount + 1,
            port: options.apiPort,
            subscription: "",
            source: dist,
            env,
            target: "scansApi",
            onOutcome,
            onOutput: output,
          });
    if (api) stops.push(() => api.kill());

    for (const instance of instances) {
      // The topic in the path: functions-framework's push conversion takes the event's source from it.
      const endpoint = `http://127.0.0.1:${instance.port}/projects/${projectId}/topics/${names.topic}`;
      const topology: PushTopology = {
        ...names,
        endpoint,
        subscription: instance.subscription,
        ...(options.retryBackoffSeconds && { retryBackoffSeconds: options.retryBackoffSeconds }),
      };
      const warnings = await withTimeout(
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
    if (pubsub.embedded === undefined) {
      // Left as pull subscriptions, external emulators keep what arrives later for the next run.
      stops.push(() => detachPush(client, instances));
    }

    const deadLetters = createDeadLetterReader(client, projectId, names.deadLetterSubscription);
    stops.push(() => deadLetters.close());
    const externalDeadLetters = pubsub.embedded === undefined ? watchDeadLetters(deadLetters) : undefined;
    if (externalDeadLetters) stops.push(async () => externalDeadLetters.stop());

    const totals = (): Totals => {
      const sum: Totals = { stored: 0, stale: 0, duplicate: 0, rejected: 0, failed: 0, deadLettered: 0 };
      for (const tally of counts.values())
        for (const [name, value] of Object.entries(tally)) sum[name as keyof Totals] += value;
      sum.deadLettered = pubsub.embedded?.counters.deadLettered ?? externalDeadLetters?.count() ?? 0;
      return sum;
    };
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
      async waitForDrain(drain = {}) {
        const timeoutMs = drain.timeoutMs ?? 60_000;
        const deadline = Date.now() + timeoutMs;
        const embedded = pubsub.embedded;
        const quietMs = embedded ? 100 : 1_000;
        const settled = () => {
          const now = totals();
          const done = now.stored + now.stale + now.duplicate + now.rejected + now.deadLettered;
          if (drain.expectedOutcomes !== undefined && done < drain.expectedOutcomes) return false;
          if (embedded && subscriptionNames.some((name) => embedded.counters.outstanding(name) > 0))
            return false;
          return Date.now() - lastOutcomeAt >= quietMs;
        };
        while (!settled()) {
          if (Date.now() >= deadline) throw new Error(`not drained after ${timeoutMs / 1000} s: ${left()}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        function left(): string {
          const embeddedLeft = embedded
            ? subscriptionNames.map((name) => `${embedded.counters.outstanding(name)} outstanding on ${name}`)
            : [];
          const now = totals();
          const done = now.stored + now.stale + now.duplicate + now.rejected + now.deadLettered;
          const expected =
            drain.expectedOutcomes === undefined ? [] : [`${done} of ${drain.expectedOutcomes} outcomes`];
          return [...embeddedLeft, ...expected].join(", ") || "function servers still busy";
        }
      },
      deadLettered: () => deadLetters.read(),
      stop: () => (stopping ??= stopStarted()),
    };
    if (api) pipeline.api = api;
    if (firestore.embedded) pipeline.firestore = firestore.embedded;
    if (pubsub.embedded) pipeline.pubsub = pubsub.embedded;
    return pipeline;
  } catch (error) {
    await stopStarted();
    throw error;
  }
}

/** Starts Google's emulators on the requested ports unless hosts are given; their hosts, or undefined. */
async function startGoogle(
  options: PipelineOptions,
  stops: Array<() => Promise<void>>,
): Promise<{ firestore: string; pubsub: string } | undefined> {
  if (options.firestoreHost !== undefined || options.pubsubHost !== undefined)
    throw new PipelineStartError(
      "emulators",
      "Google's emulators are started here only when FIRESTORE_EMULATOR_HOST and PUBSUB_EMULATOR_HOST are " +
        "unset: unset them, or drop --emulators google to use the emulators they name",
    );
  const { startGoogleEmulators, GoogleEmulatorError } = await import("@scan-ingest/emulator-google");
  try {
    const google = await startGoogleEmulators({
      firestorePort: options.firestorePort ?? 0,
      pubsubPort: options.pubsubPort ?? 0,
    });
    stops.push(() => google.stop());
    return { firestore: google.firestore.host, pubsub: google.pubsub.host };
  } catch (error) {
    if (!(error instanceof GoogleEmulatorError)) throw error;
    throw new PipelineStartError("emulators", `${error.message} (or drop --emulators google)`, {
      cause: error,
    });
  }
}

/** Builds into a private directory, then moves each file into functions/dist (a rename replaces atomically). */
async function buildDist(): Promise<void> {
  const staging = join(dist, `.build-${process.pid}-${randomUUID().slice(0, 8)}`);
  try {
    await buildFunction(staging);
    // esbuild keeps a service process; ended here, it is reaped by us instead of outliving npm start.
    await stopEsbuild();
    for (const file of await readdir(staging)) await rename(join(staging, file), join(dist, file));
  } catch (error) {
    throw new PipelineStartError(
      "build",
      `building the function (functions/build.ts) failed: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function assertBuilt(): Promise<void> {
  if (!existsSync(join(dist, "index.js")))
    throw new PipelineStartError("build", `${dist}/index.js is missing: run npm run build, or build first`);
}

/** Like Promise.all, but waits for every promise, so nothing started is left unrecorded when one fails. */
async function settleAll<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

async function withTimeout<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(error()), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Turns the push subscriptions into pull ones, best effort, so an external emulator keeps their messages. */
async function detachPush(client: PubSub, instances: FunctionInstance[]): Promise<void> {
  await withTimeout(
    Promise.all(instances.map((instance) => client.subscription(instance.subscription).modifyPushConfig({}))),
    3_000,
    () => new Error("modifyPushConfig timed out"),
  ).catch(() => undefined);
}

function writeToStderr(line: OutputLine): void {
  const prefix = line.instance === undefined ? "pipeline" : `function ${line.instance}`;
  process.stderr.write(`${prefix} | ${line.text}\n`);
}

// The one-shot `init` service of docker-compose.yml: creates scan-topic, the push subscription scan-sub to
// the function, and the dead-letter topic and policy, on the Pub/Sub emulator that PUBSUB_EMULATOR_HOST
// names, once both emulators listen; then exits 0. Safe to run again. Bundled into the scanner image (the
// Dockerfile's scanner target) as init.cjs.
import { parseHostPort, waitForPort } from "@scan-ingest/emulator-shared/ports";
import { emulatorPubSub } from "@scan-ingest/pipeline/clients";
import { DEFAULT_PROJECT } from "@scan-ingest/pipeline/defaults";
import { defaultTopology, ensurePushTopology } from "@scan-ingest/pipeline/topology";

/** How long the emulators may take to listen and answer, e.g. Google's on a cold JVM. */
const TIMEOUT_MS = 120_000;

/** Resolves once host:port accepts a connection; rejects after `deadline` (epoch ms). */
async function untilListening(name: string, hostPort: string, deadline: number): Promise<void> {
  const address = parseHostPort(hostPort);
  if (address === undefined) throw new Error(`${name} at "${hostPort}" is not host:port`);
  // Every 500 ms: Google's emulators on a cold JVM take many seconds.
  if (!(await waitForPort(address.host, address.port, deadline - Date.now(), { everyMs: 500 })))
    throw new Error(`${name} at ${hostPort} did not accept connections within ${TIMEOUT_MS / 1000} s`);
}

async function main(): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  const pubsubHost = process.env.PUBSUB_EMULATOR_HOST;
  const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST;
  const functionUrl = process.env.FUNCTION_URL;
  const project = process.env.GOOGLE_CLOUD_PROJECT || DEFAULT_PROJECT;
  if (!pubsubHost || !functionUrl)
    throw new Error(
      "set PUBSUB_EMULATOR_HOST (the Pub/Sub emulator, host:port) and FUNCTION_URL (the function, " +
        "e.g. http://function:8080); docker-compose.yml sets both",
    );
  // Neither emulator is a depends_on of anything (either profile's may run): waiting here means the scanner,
  // which starts after init, publishes only once pushes can be stored.
  await untilListening("the Pub/Sub emulator", pubsubHost, deadline);
  if (firestoreHost) await untilListening("the Firestore emulator", firestoreHost, deadline);
  const client = emulatorPubSub({ host: pubsubHost, projectId: project });
  // The topic in the path: functions-framework's push conversion takes the event's source from it.
  const base = defaultTopology("");
  const endpoint = `${functionUrl.replace(/\/+$/, "")}/projects/${project}/topics/${base.topic}`;
  const topology = defaultTopology(endpoint);
  const timer = setTimeout(
    () => {
      process.stderr.write(
        `init: the Pub/Sub emulator at ${pubsubHost} did not create the topology in time\n`,
      );
      process.exit(1);
    },
    Math.max(deadline - Date.now(), 10_000),
  );
  try {
    for (const warning of await ensurePushTopology(client, topology))
      process.stderr.write(`init: ${warning}\n`);
  } finally {
    clearTimeout(timer);
    await client.close();
  }
  process.stdout.write(
    `init: ${topology.topic} pushes through ${topology.subscription} to ${endpoint}; dead letters after ` +
      `${topology.maxDeliveryAttempts} attempts go to ${topology.deadLetterTopic} (${topology.deadLetterSubscription})\n`,
  );
}

// CommonJS in the image (no top-level await there).
main().catch((error: unknown) => {
  process.stderr.write(`init: ${(error as Error).message}\n`);
  process.exitCode = 1;
});

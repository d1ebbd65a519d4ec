// A permanent Firestore failure through the whole pipeline: the function writes to a project the embedded
// emulator refuses (PERMISSION_DENIED). Each delivery logs one line saying the failure is permanent and what
// to fix, and the message is never acknowledged: after 5 attempts the dead-letter topic keeps it.
import { start as startFirestore } from "@scan-ingest/emulator-firestore";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startPipeline, type OutcomeEvent, type Pipeline } from "@scan-ingest/pipeline";
import { emulatorPubSub } from "@scan-ingest/pipeline/clients";
import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";

const outcomes: OutcomeEvent[] = [];
let firestore: Awaited<ReturnType<typeof startFirestore>>;
let pipeline: Pipeline;

beforeAll(async () => {
  // The emulator takes only the default project; the function is told to use another.
  firestore = await startFirestore({ port: 0, projectId: DEFAULT_PROJECT });
  pipeline = await startPipeline({
    firestoreHost: firestore.host,
    functionEnv: { GOOGLE_CLOUD_PROJECT: "refused-project" },
    retryBackoffSeconds: { minimum: 0.1, maximum: 0.2 },
    onOutcome: (event) => outcomes.push(event),
    onOutput: () => undefined,
  });
});

afterAll(async () => {
  await pipeline?.stop();
  await firestore?.stop();
});

test("a permanent failure is logged as permanent with what to fix on each attempt, and the message is dead-lettered, not lost", async () => {
  const client = emulatorPubSub({ host: pipeline.pubsubHost, projectId: pipeline.projectId });
  const data = Buffer.from(
    JSON.stringify({
      ip: "1.1.1.1",
      port: 80,
      service: "HTTP",
      timestamp: 1732262400,
      data_version: 2,
      data: { response_str: "refused" },
    }),
  );
  const messageId = await client.topic(pipeline.topic).publishMessage({ data });
  await client.close();
  const isOurs = (letter: { data: Buffer }) => letter.data.equals(data);
  // The Firestore client takes ~7 s to give up on each attempt (its own retries), so five take ~35 s.
  const deadline = Date.now() + 75_000;
  while (!(await pipeline.deadLettered()).some(isOurs)) {
    if (Date.now() > deadline)
      throw new Error(
        `not dead-lettered within 75 s: ${JSON.stringify(outcomes)} ${JSON.stringify(pipeline.totals())}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const failures = outcomes.filter((event) => event.messageId === messageId);
  expect(failures).toHaveLength(5);
  for (const event of failures) {
    expect(event).toMatchObject({ outcome: "failed", failure: "permanent" });
    expect(event.fix).toContain("roles/datastore.user");
  }
  expect(pipeline.totals()).toMatchObject({ stored: 0, failed: 5, deadLettered: 1 });
}, 90_000);

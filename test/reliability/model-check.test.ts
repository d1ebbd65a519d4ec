// Reliability 1: a recorded workload through the push path, with 1 function instance and with a duplicate storm
// of 3 (each behind its own subscription, so every message races through all three: contention), ends in
// exactly the model's state with every message accounted for on every subscription. Besides the
// suite's steady faults (UNAVAILABLE, duplicates, lost replies), which the Firestore client's retries
// absorb, the run goes through storage outages longer than the function's store deadline (deliveries fail,
// are nacked and redelivered) and sends a few messages
// past every attempt into the dead-letter topic, from all subscriptions or only some.
// Against external emulators (FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST) it runs without faults,
// outages and dead letters, and without the counters, which all need the embedded emulators.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acknowledged } from "@scan-ingest/pipeline";
import { describe, test } from "vitest";
import {
  accountWhenSettled,
  differences,
  FAIL_PUSH_ATTRIBUTE,
  faultsAvailable,
  figures,
  INDEX_ATTRIBUTE,
  OUTAGE_MS,
  OUTAGE_STORE_DEADLINE_MS,
  processedMessages,
  startRun,
  storageOutage,
  turnFaultsOff,
  turnFaultsOn,
  underFaults,
} from "./harness.ts";
import { expectedState, type PublishedMessage } from "./model.ts";
import { scale } from "./scale.ts";
import { createWorkload, recordWorkload } from "./workload.ts";

/** The Pub/Sub deadline on dead-lettering: the pipeline's subscriptions allow 5 delivery attempts. */
const MAX_DELIVERY_ATTEMPTS = 5;

/**
 * Which messages fail on which subscriptions until dead-lettered: `perSet` messages spread over the workload
 * for each set of subscriptions — all of them, and with several instances only the first, and all but it.
 */
function deadLetterPlan(messages: number, subscriptions: string[], perSet: number): Map<number, string[]> {
  const sets =
    subscriptions.length === 1
      ? [subscriptions]
      : [subscriptions, subscriptions.slice(0, 1), subscriptions.slice(1)];
  const total = sets.length * perSet;
  const plan = new Map<number, string[]>();
  for (let target = 0; target < total; target++)
    plan.set(Math.floor(((target + 0.5) * messages) / total), sets[target % sets.length]!);
  return plan;
}

const conditions = faultsAvailable
  ? `${underFaults}, ${scale.outagesAt.length} storage outage(s) of ${OUTAGE_MS / 1000} s and pushes failed past every attempt`
  : underFaults;

// The two runs overlap (each has its own emulators and functions), so their outages do not add up.
describe.concurrent.each([1, 3])("model check, a storm of %i function instance(s)", (instances) => {
  test(
    `${scale.messages} colliding, tied and republished scans ${conditions} end in exactly the model's ` +
      `state: every message won, was superseded, was rejected with its reason or was dead-lettered; none lost`,
    async ({ expect }) => {
      const started = performance.now();
      const run = await startRun(`model-${instances}`, {
        instances,
        duplicateStorm: true,
        ...(faultsAvailable && { storeDeadlineMs: OUTAGE_STORE_DEADLINE_MS }),
      });
      try {
        const { pipeline } = run;
        const faulted = turnFaultsOn(pipeline);
        pipeline.firestore?.counters.reset();
        pipeline.pubsub?.counters.reset();
        const injectedBefore = {
          duplicates: pipeline.pubsub?.faults.injected.duplicates ?? 0,
          failedPushes: pipeline.pubsub?.faults.injected.failedPushes ?? 0,
          unavailable: pipeline.firestore?.faults.injected.unavailable ?? 0,
          lostReplies: pipeline.firestore?.faults.injected.lostReplies ?? 0,
        };

        const seed = `reliability-${scale.name}-${instances}`;
        const workload = createWorkload({
          seed,
          messages: scale.messages,
          ips: scale.ips,
          ports: scale.ports,
        });
        const subscriptions = pipeline.instances.map((instance) => instance.subscription);
        const plan = faulted
          ? deadLetterPlan(workload.length, subscriptions, scale.deadLetterTargets)
          : new Map<number, string[]>();
        const ids = await run.publish(
          workload.map((message, index) => {
            const failOn = plan.get(index);
            const attributes = {
              [INDEX_ATTRIBUTE]: String(index),
              ...(failOn && { [FAIL_PUSH_ATTRIBUTE]: failOn.join(" ") }),
            };
            return { data: message.data, attributes };
          }),
        );
        const published: PublishedMessage[] = workload.map((message, index) => ({
          messageId: ids[index]!,
          ...(message.scan && { scan: message.scan }),
          ...(message.reason && { reason: message.reason }),
        }));
        const recordPath = join(tmpdir(), `scan-ingest-reliability-${scale.name}-${instances}.jsonl`);
        await recordWorkload(
          recordPath,
          workload.map((message, index) => ({ messageId: ids[index]!, message })),
        );

        const expectedOutcomes = instances * workload.length;
        const acknowledgedSoFar = () => acknowledged(pipeline.totals());
        for (const fraction of faulted ? scale.outagesAt : []) {
          await expect
            .poll(acknowledgedSoFar, {
              timeout: scale.drainTimeoutMs,
              message: `${fraction * 100} % of the outcomes, when a storage outage begins`,
            })
            .toBeGreaterThanOrEqual(fraction * expectedOutcomes);
          await storageOutage(pipeline, OUTAGE_MS);
        }
        await pipeline.waitForDrain({ timeoutMs: scale.drainTimeoutMs, expectedOutcomes });
        turnFaultsOff(pipeline);
        const accounting = await accountWhenSettled(run, ids, scale.drainTimeoutMs);
        const deadLetters = await pipeline.deadLettered();
        expect(accounting.lost, "messages neither acknowledged nor dead-lettered").toEqual([]);
        expect(accounting.strangers).toEqual([]);

        // Dead letters: exactly the planned (subscription, message) pairs, with the data as published; the
        // function never saw those messages there. Outages cost a delivery or two, never all five attempts.
        const planned: string[] = [];
        for (const [index, failOn] of plan)
          for (const subscription of failOn) planned.push(`${subscription} ${ids[index]}`);
        const lettered: string[] = [];
        for (const [subscription, messages] of accounting.deadLetteredBy)
          for (const id of messages) lettered.push(`${subscription} ${id}`);
        expect(lettered.sort(), "dead-lettered (subscription, message) pairs").toEqual(planned.sort());
        for (const letter of deadLetters) {
          const index = Number(letter.attributes[INDEX_ATTRIBUTE]);
          expect(letter.data.equals(workload[index]!.data), `dead letter of message ${index}`).toBe(true);
          expect(letter.attributes.CloudPubSubDeadLetterSourceDeliveryCount).toBe(
            String(MAX_DELIVERY_ATTEMPTS),
          );
        }
        const reachedDespiteFailure = [...plan].flatMap(([index, failOn]) =>
          pipeline.instances
            .filter((instance) => failOn.includes(instance.subscription))
            .filter(({ index: at }) =>
              [accounting.ackedBy, accounting.failedBy].some((by) => by.get(at)!.has(ids[index]!)),
            )
            .map((instance) => `instance ${instance.index}: ${ids[index]}`),
        );
        expect(reachedDespiteFailure, "failed pushes that reached the function").toEqual([]);

        // Every delivery the function failed was redelivered to the same instance until acknowledged there.
        const neverAcknowledged = pipeline.instances.flatMap((instance) =>
          [...accounting.failedBy.get(instance.index)!]
            .filter((id) => !accounting.ackedBy.get(instance.index)!.has(id))
            .map((id) => `instance ${instance.index}: ${id}`),
        );
        expect(neverAcknowledged, "failed deliveries never acknowledged").toEqual([]);

        const expected = expectedState(processedMessages(published, accounting));
        expect(await differences(run, expected), `record: ${recordPath}`).toEqual([]);

        // Every message in exactly one class: the winner of its key, superseded by it, rejected, dead-lettered.
        const winners = new Set(
          [...(await run.read(run.services)).values()].map((doc) => String(doc.messageId)),
        );
        const classes = { won: 0, superseded: 0, rejected: 0, deadLettered: 0 };
        for (const message of published) {
          if (accounting.deadLetteredEverywhere.has(message.messageId)) classes.deadLettered++;
          else if (message.reason !== undefined) classes.rejected++;
          else if (winners.has(message.messageId)) classes.won++;
          else classes.superseded++;
        }
        expect(classes.won).toBe(expected.services.size);
        expect(classes.won + classes.superseded + classes.rejected + classes.deadLettered).toBe(
          published.length,
        );
        const failingEverywhere = [...plan.values()].filter((failOn) => failOn.length === instances).length;
        expect(classes.deadLettered).toBe(failingEverywhere);

        const writes = pipeline.firestore
          ? pipeline.firestore.counters.documentsWritten - expected.rejects.size
          : undefined;
        if (writes !== undefined) {
          // Each services write raises its key's (timestamp, sha) inside a transaction, so no key is written
          // more often than it was offered distinct versions, however many instances process each message.
          expect(writes).toBeLessThanOrEqual(expected.maxServiceWrites);
          expect(writes).toBeGreaterThanOrEqual(expected.services.size);
        }
        const totals = pipeline.totals();
        const counters = pipeline.pubsub?.counters;
        const failedPushes =
          (pipeline.pubsub?.faults.injected.failedPushes ?? 0) - injectedBefore.failedPushes;
        if (faulted && counters) {
          // The outages made the function fail deliveries, and Pub/Sub redelivered them, beyond the planned
          // failed pushes (each nacked, and redelivered until its last attempt).
          expect(accounting.failedOutcomes, "deliveries failed by the storage outages").toBeGreaterThan(0);
          expect(failedPushes).toBeGreaterThanOrEqual(planned.length * MAX_DELIVERY_ATTEMPTS);
          expect(counters.nacked).toBeGreaterThan(planned.length * MAX_DELIVERY_ATTEMPTS);
          expect(counters.redelivered).toBeGreaterThan(planned.length * (MAX_DELIVERY_ATTEMPTS - 1));
          expect(counters.deadLettered).toBe(planned.length);
        }
        console.log(
          `reliability model check [${scale.name}, ${instances} instance(s), ${faulted ? "faults on" : "no faults"}]: ` +
            figures({
              messages: published.length,
              keys: expected.services.size,
              ...classes,
              "duplicates injected":
                (pipeline.pubsub?.faults.injected.duplicates ?? 0) - injectedBefore.duplicates,
              "UNAVAILABLE injected":
                (pipeline.firestore?.faults.injected.unavailable ?? 0) - injectedBefore.unavailable,
              "lost replies injected":
                (pipeline.firestore?.faults.injected.lostReplies ?? 0) - injectedBefore.lostReplies,
              "storage outages": faulted ? `${scale.outagesAt.length} × ${OUTAGE_MS / 1000} s` : 0,
              "pushes failed (planned dead letters)": faulted ? `${failedPushes} (${planned.length})` : 0,
              "failed outcomes (retried)": accounting.failedOutcomes,
              nacks: counters?.nacked ?? "n/a",
              redelivered: counters?.redelivered ?? "n/a",
              "dead letters": accounting.deadLetters,
              "outcomes stored/stale/duplicate/rejected": `${totals.stored}/${totals.stale}/${totals.duplicate}/${totals.rejected}`,
              "services writes":
                writes === undefined ? "n/a" : `${writes} (bound ${expected.maxServiceWrites})`,
              duration: `${((performance.now() - started) / 1000).toFixed(1)} s`,
              record: recordPath,
            }),
        );
      } finally {
        await run.stop();
      }
    },
    scale.testTimeoutMs + scale.outagesAt.length * OUTAGE_MS,
  );
});

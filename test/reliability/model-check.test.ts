// Reliability 1 (issue 6): a recorded workload through the push path, with 1 and with 3 function instances,
// ends in exactly the model's state with every message accounted for on every subscription.
// Against external emulators (FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST) it runs without faults and
// without the write count, which need the embedded emulators' faults and counters.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  account,
  differences,
  figures,
  processedMessages,
  startRun,
  turnFaultsOff,
  turnFaultsOn,
  underFaults,
} from "./harness.ts";
import { expectedState, type PublishedMessage } from "./model.ts";
import { scale } from "./scale.ts";
import { createWorkload, recordWorkload } from "./workload.ts";

describe.each([1, 3])("model check with %i function instance(s)", (instances) => {
  test(
    `${scale.messages} colliding, tied and republished scans ${underFaults} end in exactly the model's ` +
      `state: every message won, was superseded, was rejected with its reason or was dead-lettered; none lost`,
    async () => {
      const started = performance.now();
      const run = await startRun(`model-${instances}`, { instances });
      try {
        const { pipeline } = run;
        const faulted = turnFaultsOn(pipeline);
        pipeline.firestore?.counters.reset();
        pipeline.pubsub?.counters.reset();
        const injectedBefore = {
          duplicates: pipeline.pubsub?.faults.injected.duplicates ?? 0,
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
        const ids = await run.publish(workload);
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

        await pipeline.waitForDrain({
          timeoutMs: scale.drainTimeoutMs,
          expectedOutcomes: instances * workload.length,
        });
        turnFaultsOff(pipeline);
        const accounting = account(run, ids, await pipeline.deadLettered());
        expect(accounting.lost, "messages neither acknowledged nor dead-lettered").toEqual([]);
        expect(accounting.strangers).toEqual([]);

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
    scale.testTimeoutMs,
  );
});

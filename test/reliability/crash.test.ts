// Reliability 3: SIGKILL the function server while deliveries are in flight, restart it on its
// port; after drain the state is exactly the model's and every message is accounted for. With the embedded
// emulators the suite's faults stay on; against external ones it runs without them.
import { expect, test } from "vitest";
import {
  accountWhenSettled,
  differences,
  figures,
  INDEX_ATTRIBUTE,
  processedMessages,
  startRun,
  turnFaultsOff,
  turnFaultsOn,
  underFaults,
} from "./harness.ts";
import { expectedState, type PublishedMessage } from "./model.ts";
import { scale } from "./scale.ts";
import { createWorkload } from "./workload.ts";

test(
  `SIGKILL of the function server mid-stream, ${underFaults}, then a restart: the state is still exactly the ` +
    `model's and nothing is lost`,
  async () => {
    const started = performance.now();
    // Five attempts 0.5, 1, 2 and 4 s apart outlast the restart (about 2 s), as they must in production.
    const run = await startRun("crash", { instances: 1, retryBackoffSeconds: { minimum: 0.5, maximum: 4 } });
    try {
      const { pipeline } = run;
      const instance = pipeline.instances[0]!;
      turnFaultsOn(pipeline);
      const workload = createWorkload({
        seed: `reliability-crash-${scale.name}`,
        messages: scale.crashMessages,
        ips: scale.ips,
        ports: scale.ports,
      });
      const ids = await run.publish(
        workload.map((message, index) => ({
          data: message.data,
          attributes: { [INDEX_ATTRIBUTE]: String(index) },
        })),
      );
      const published: PublishedMessage[] = workload.map((message, index) => ({
        messageId: ids[index]!,
        ...(message.scan && { scan: message.scan }),
        ...(message.reason && { reason: message.reason }),
      }));

      await expect
        .poll(() => run.outcomes.length, {
          timeout: scale.drainTimeoutMs,
          message: "a third of the outcomes",
        })
        .toBeGreaterThanOrEqual(workload.length / 3);
      const pid = instance.pid;
      const counters = pipeline.pubsub?.counters;
      const inFlight = counters ? counters.delivered - counters.acked - counters.nacked : undefined;
      const outcomesAtKill = run.outcomes.length;
      await instance.kill("SIGKILL");
      expect(instance.pid).toBeUndefined();
      await instance.restart();
      expect(instance.pid).not.toBe(pid);

      await pipeline.waitForDrain({ timeoutMs: scale.drainTimeoutMs, expectedOutcomes: workload.length });
      turnFaultsOff(pipeline);
      const accounting = await accountWhenSettled(run, ids, scale.drainTimeoutMs);
      expect(accounting.lost, "messages neither acknowledged nor dead-lettered").toEqual([]);
      expect(
        [...accounting.deadLetteredEverywhere],
        "dead-lettered: the restart took longer than 5 attempts",
      ).toEqual([]);
      expect(await differences(run, expectedState(processedMessages(published, accounting)))).toEqual([]);
      console.log(
        `reliability crash [${scale.name}]: ` +
          figures({
            messages: workload.length,
            "outcomes before the kill": outcomesAtKill,
            "deliveries in flight at the kill": inFlight ?? "n/a",
            "failed outcomes": accounting.failedOutcomes,
            "duplicate outcomes": run.outcomes.filter((event) => event.outcome === "duplicate").length,
            nacks: counters?.nacked ?? "n/a",
            redelivered: counters?.redelivered ?? "n/a",
            "dead letters": accounting.deadLetters,
            duration: `${((performance.now() - started) / 1000).toFixed(1)} s`,
          }),
      );
      if (inFlight !== undefined) expect(inFlight).toBeGreaterThan(0);
    } finally {
      await run.stop();
    }
  },
  scale.testTimeoutMs,
);

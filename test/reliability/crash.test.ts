// Reliability 3: SIGKILL the function server while deliveries are in flight — the only one, or one of three
// sharing the subscription, whose deliveries the other two then take — and restart it on its port; after drain
// the state is exactly the model's and every message is accounted for. With the embedded
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

test.each([
  { instances: 1, which: "the function server" },
  { instances: 3, which: "one of three shared instances" },
])(
  `SIGKILL of $which mid-stream, ${underFaults}, then a restart: the state is still exactly the ` +
    `model's and nothing is lost`,
  async ({ instances }) => {
    const started = performance.now();
    // Five attempts 0.5, 1, 2 and 4 s apart outlast the restart (about 2 s), as they must in production.
    const run = await startRun(`crash-${instances}`, {
      instances,
      retryBackoffSeconds: { minimum: 0.5, maximum: 4 },
    });
    try {
      const { pipeline } = run;
      // The last one: with several, its turn comes between the others'.
      const instance = pipeline.instances.at(-1)!;
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
      const others = () =>
        run.outcomes.filter((event) => event.instance !== instance.index && event.outcome !== "failed")
          .length;
      const othersAtKill = others();
      if (instances > 1)
        await expect
          .poll(others, {
            timeout: scale.drainTimeoutMs,
            message: "the other instances taking its deliveries",
          })
          .toBeGreaterThanOrEqual(othersAtKill + workload.length / 10);
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
        `reliability crash [${scale.name}, ${instances} instance(s)]: ` +
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

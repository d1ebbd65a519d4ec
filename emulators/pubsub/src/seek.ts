import { failedPrecondition, invalidArgument } from "@scan-ingest/emulator-shared/status";
import type { Broker } from "./broker.ts";
import { parseName } from "./names.ts";
import { timestampMs, type SeekRequest } from "./wire.ts";

/**
 * Seek (SeekRequest): to a snapshot, the snapshot's messages become exactly the unacknowledged ones; to a
 * time, every retained message published before it is acknowledged and every one published at or after it
 * unacknowledged (acknowledged messages are retained only with retain_acked_messages).
 */
export function seek(broker: Broker, request: SeekRequest): void {
  parseName("subscriptions", request.subscription ?? "", "subscription");
  const state = broker.subscription(request.subscription ?? "");
  if (request.snapshot) {
    parseName("snapshots", request.snapshot, "snapshot");
    const snapshot = broker.snapshots.get(request.snapshot);
    if (snapshot.topic !== state.resource.topic) {
      throw failedPrecondition(
        `The subscription's topic ${state.resource.topic ?? ""} is different from the snapshot's topic ${snapshot.topic}.`,
      );
    }
    state.queue.reset([...snapshot.messages.values()]);
    return;
  }
  const time = timestampMs(request.time);
  if (time === undefined) {
    throw invalidArgument("No target was specified in the SeekRequest: set either time or snapshot.");
  }
  state.queue.reset(state.queue.retained().filter((message) => message.publishTimeMs >= time));
}

import { alreadyExists, notFound } from "@scan-ingest/emulator-shared/status";
import type { StoredMessage } from "./message.ts";
import { timestamp, type Snapshot as SnapshotResource } from "./wire.ts";

const SEVEN_DAYS_MS = 7 * 86_400_000;

/** A snapshot: the subscription's unacknowledged messages when it was taken, plus everything published to its topic since. */
export interface Snapshot {
  resource: SnapshotResource;
  topic: string;
  messages: Map<string, StoredMessage>;
}

/**
 * The snapshots of the emulator, as CreateSnapshotRequest defines what one keeps: "the messages in the
 * subscription's backlog that are unacknowledged upon the successful completion of the CreateSnapshot
 * request; as well as … any messages published to the subscription's topic following" it.
 */
export class SnapshotStore {
  private readonly byName = new Map<string, Snapshot>();
  private readonly byTopic = new Map<string, Set<Snapshot>>();

  get(name: string): Snapshot {
    const snapshot = this.byName.get(name);
    if (!snapshot) throw notFound(`Snapshot does not exist: ${name}`);
    return snapshot;
  }

  /** Takes a snapshot of the unacked messages of a subscription of `topic`. */
  create(
    name: string,
    topic: string,
    unacked: StoredMessage[],
    labels: Record<string, string>,
    now: number,
  ): SnapshotResource {
    if (this.byName.has(name)) throw alreadyExists(`Snapshot already exists: ${name}`);
    // Production: the snapshot expires 7 days after its oldest unacknowledged message was published.
    const oldest = Math.min(now, ...unacked.map((message) => message.publishTimeMs));
    const snapshot: Snapshot = {
      resource: { name, topic, expireTime: timestamp(oldest + SEVEN_DAYS_MS), labels },
      topic,
      messages: new Map(unacked.map((message) => [message.messageId, message])),
    };
    this.byName.set(name, snapshot);
    const ofTopic = this.byTopic.get(topic) ?? new Set();
    ofTopic.add(snapshot);
    this.byTopic.set(topic, ofTopic);
    return snapshot.resource;
  }

  delete(name: string): void {
    const snapshot = this.get(name);
    this.byName.delete(name);
    this.byTopic.get(snapshot.topic)?.delete(snapshot);
  }

  /** Adds newly published messages to every snapshot of their topic. */
  record(topic: string, messages: StoredMessage[]): void {
    for (const snapshot of this.byTopic.get(topic) ?? []) {
      for (const message of messages) snapshot.messages.set(message.messageId, message);
    }
  }

  /** The snapshots of one project, by name. */
  inProject(project: string): SnapshotResource[] {
    return [...this.byName.keys()]
      .filter((name) => name.startsWith(`projects/${project}/`))
      .sort()
      .map((name) => this.get(name).resource);
  }

  /** The names of the snapshots of one topic. */
  ofTopic(topic: string): string[] {
    return [...(this.byTopic.get(topic) ?? [])].map((snapshot) => snapshot.resource.name ?? "").sort();
  }

  clear(): void {
    this.byName.clear();
    this.byTopic.clear();
  }
}

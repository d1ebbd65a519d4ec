import type { ServerDuplexStream } from "@grpc/grpc-js";
import { asServiceError, invalidArgument } from "@scan-ingest/emulator-shared/status";
import type { Database } from "./database.ts";
import { keysOfDocument, WatchTarget, type ListenResponse } from "./listen-targets.ts";
import { parseName } from "./paths.ts";
import { refuseUnimplemented } from "./refusals.ts";
import { enter, type Gate } from "./rpc.ts";
import { fromTimestamp, toTimestamp, type Micros } from "./time.ts";
import type { StructuredQuery, Timestamp } from "./wire.ts";

/** google.firestore.v1.Target as decoded. */
interface TargetRequest {
  query?: { parent?: string; structuredQuery?: StructuredQuery };
  documents?: { documents?: string[] };
  resumeToken?: Uint8Array;
  readTime?: Timestamp;
  targetId?: number;
  once?: boolean;
  expectedCount?: { value?: number };
}

/** google.firestore.v1.ListenRequest as decoded. */
interface ListenRequest {
  database?: string;
  addTarget?: TargetRequest;
  removeTarget?: number;
  labels?: Record<string, string>;
}

/** A resume token: the read time of the snapshot it ends, as 8 big-endian bytes of microseconds. */
const resumeToken = (time: Micros): Buffer => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(time));
  return bytes;
};

/** Every open Listen target, indexed by the documents, collections and groups it watches. */
export class Watchers {
  private readonly index = new Map<string, Set<ListenStream>>();
  private readonly pending = new Map<ListenStream, Set<string>>();
  private latest: Micros = 0;
  private scheduled = false;

  constructor(db: Database) {
    db.commitObservers.add((names, commitTime) => this.committed(names, commitTime));
  }

  /** Indexes a stream under its target's keys. */
  watch(stream: ListenStream, target: WatchTarget): void {
    for (const key of target.keys) {
      let streams = this.index.get(key);
      if (!streams) this.index.set(key, (streams = new Set()));
      streams.add(stream);
    }
  }

  /** Drops a stream from the keys of a target it no longer has. */
  unwatch(stream: ListenStream, target: WatchTarget): void {
    for (const key of target.keys) {
      if (stream.watches(key)) continue;
      this.index.get(key)?.delete(stream);
      if (this.index.get(key)?.size === 0) this.index.delete(key);
    }
  }

  // A commit only records which streams may care; the diffs run after the commit has answered, batched.
  private committed(names: string[], commitTime: Micros): void {
    for (const name of names) {
      for (const key of keysOfDocument(name)) {
        for (const stream of this.index.get(key) ?? []) {
          let changed = this.pending.get(stream);
          if (!changed) this.pending.set(stream, (changed = new Set()));
          changed.add(name);
        }
      }
    }
    this.latest = Math.max(this.latest, commitTime);
    if (this.scheduled || this.pending.size === 0) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const time = this.latest;
    const pending = [...this.pending];
    this.pending.clear();
    for (const [stream, names] of pending) stream.update(time, names);
  }
}

/** One Listen call: its targets, the initial snapshot of each, and the changes commits make to them. */
export class ListenStream {
  private readonly targets = new Map<number, WatchTarget>();
  private readonly db: Database;
  private readonly watchers: Watchers;
  private readonly call: ServerDuplexStream<ListenRequest, ListenResponse>;
  private database: string | undefined;

  constructor(db: Database, watchers: Watchers, call: ServerDuplexStream<ListenRequest, ListenResponse>) {
    this.db = db;
    this.watchers = watchers;
    this.call = call;
  }

  /** Whether any remaining target watches this index key. */
  watches(key: string): boolean {
    return [...this.targets.values()].some((target) => target.keys.includes(key));
  }

  /** Handles one ListenRequest: add a target (answering its initial snapshot) or remove one. */
  receive(request: ListenRequest): void {
    const id = request.addTarget?.targetId ?? request.removeTarget ?? 0;
    try {
      refuseUnimplemented("Listen", request);
      if (!request.database) throw invalidArgument("ListenRequest.database is required");
      parseName(`${request.database}/documents`);
      if (this.database !== undefined && this.database !== request.database)
        throw invalidArgument("ListenRequest.database must stay the same on one stream");
      this.database = request.database;
      if (request.addTarget) this.add(request.addTarget);
      else if (request.removeTarget !== undefined) this.remove(request.removeTarget);
      else throw invalidArgument("ListenRequest needs add_target or remove_target");
    } catch (error) {
      // A refusal is a REMOVE with a cause: the SDK surfaces it to the listener at once, where a failed
      // stream would be retried as a dropped connection.
      const { code, details } = asServiceError(error);
      this.send([
        { targetChange: { targetChangeType: "REMOVE", targetIds: [id], cause: { code, message: details } } },
      ]);
    }
  }

  private add(request: TargetRequest): void {
    const id = request.targetId || Math.max(0, ...this.targets.keys()) + 1;
    if (this.targets.has(id))
      throw invalidArgument(`Target.target_id ${id} is already in use on this stream`);
    const query = request.query;
    if (query && !query.parent?.startsWith(`${this.database}/documents`))
      throw invalidArgument(`Target.query.parent must lie in database ${this.database}`);
    const documents = request.documents?.documents ?? [];
    if (request.documents && documents.some((name) => !name.startsWith(`${this.database}/documents/`)))
      throw invalidArgument(`Target.documents must lie in database ${this.database}`);
    if (!query?.structuredQuery && !request.documents)
      throw invalidArgument("Target needs query.structured_query or documents");
    if (request.resumeToken?.length && request.resumeToken.length !== 8)
      throw invalidArgument("Target.resume_token is not one this emulator issued");
    if (request.readTime && fromTimestamp(request.readTime) > this.db.clock())
      throw invalidArgument("Target.read_time cannot be in the future");
    const spec = query?.structuredQuery
      ? { parent: query.parent ?? "", query: query.structuredQuery }
      : { documents };
    const target = new WatchTarget(this.db, id, spec);
    const time = this.db.clock();
    const messages: ListenResponse[] = [{ targetChange: { targetChangeType: "ADD", targetIds: [id] } }];
    // Resuming (a token or a read time) answers a fresh snapshot after a RESET: the client drops what it
    // held and takes the current results, so nothing deleted while it was away lingers.
    if (request.resumeToken?.length || request.readTime)
      messages.push({ targetChange: { targetChangeType: "RESET", targetIds: [id] } });
    messages.push(...target.diff(time));
    // expected_count asks for an existence filter: the count the client should hold after this snapshot.
    if (request.expectedCount) messages.push({ filter: { targetId: id, count: target.size } });
    messages.push({
      targetChange: { targetChangeType: "CURRENT", targetIds: [id], readTime: toTimestamp(time) },
    });
    messages.push(this.snapshotEnd(time));
    if (request.once) {
      messages.push({ targetChange: { targetChangeType: "REMOVE", targetIds: [id] } });
      this.send(messages);
      return;
    }
    this.targets.set(id, target);
    this.watchers.watch(this, target);
    this.send(messages);
  }

  private remove(id: number): void {
    const target = this.targets.get(id);
    if (!target) throw invalidArgument(`remove_target ${id} names no target of this stream`);
    this.targets.delete(id);
    this.watchers.unwatch(this, target);
    this.send([{ targetChange: { targetChangeType: "REMOVE", targetIds: [id] } }]);
  }

  /** The global NO_CHANGE with a read time: every target is consistent as of it (the SDK's snapshot point). */
  private snapshotEnd(time: Micros): ListenResponse {
    return {
      targetChange: {
        targetChangeType: "NO_CHANGE",
        targetIds: [],
        readTime: toTimestamp(time),
        resumeToken: resumeToken(time),
      },
    };
  }

  /** Sends what the written documents changed in this stream's targets, as of `time`. */
  update(time: Micros, names: Set<string>): void {
    const messages = [...this.targets.values()].flatMap((target) => target.diff(time, names));
    if (messages.length > 0) this.send([...messages, this.snapshotEnd(time)]);
  }

  private send(messages: ListenResponse[]): void {
    if (this.call.cancelled || this.call.writableEnded) return;
    for (const message of messages) this.call.write(message);
  }

  /** Ends the stream's targets when the client goes. */
  close(): void {
    for (const target of this.targets.values()) {
      this.targets.delete(target.id);
      this.watchers.unwatch(this, target);
    }
  }
}

/** The Listen handler: a bidirectional stream of target requests and their changes. */
export function listen(db: Database, watchers: Watchers, gate: Gate) {
  return (call: ServerDuplexStream<ListenRequest, ListenResponse>) => {
    try {
      enter(gate, "Listen");
    } catch (error) {
      call.emit("error", asServiceError(error));
      return;
    }
    const stream = new ListenStream(db, watchers, call);
    call.on("data", (request: ListenRequest) => stream.receive(request));
    call.on("end", () => {
      stream.close();
      call.end();
    });
    call.on("cancelled", () => stream.close());
    call.on("error", () => stream.close());
  };
}

import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { invalidArgument, unary } from "@scan-ingest/emulator-shared/status";
import type { Broker } from "./broker.ts";
import { parseName, parseProject } from "./names.ts";
import { page } from "./page.ts";
import { seek } from "./seek.ts";
import type {
  CreateSnapshotRequest,
  DeleteSnapshotRequest,
  Empty,
  GetSnapshotRequest,
  ListSnapshotsRequest,
  ListSnapshotsResponse,
  SeekRequest,
  SeekResponse,
  Snapshot,
} from "./wire.ts";

/** The snapshot half of google.pubsub.v1.Subscriber: CreateSnapshot, GetSnapshot, ListSnapshots, DeleteSnapshot, Seek. */
export function snapshotImplementation(broker: Broker): UntypedServiceImplementation {
  return {
    CreateSnapshot: unary((request: CreateSnapshotRequest): Snapshot => {
      const name = request.name ?? "";
      const { project } = parseName("snapshots", name, "name");
      const source = parseName("subscriptions", request.subscription ?? "", "subscription");
      if (source.project !== project) {
        throw invalidArgument(
          `Invalid name "${name}": it must be in the subscription's project ${source.project}.`,
        );
      }
      const state = broker.subscription(source.name);
      const topic = state.resource.topic ?? "";
      return broker.snapshots.create(name, topic, state.queue.unacked(), request.labels ?? {}, Date.now());
    }),
    GetSnapshot: unary((request: GetSnapshotRequest): Snapshot => {
      parseName("snapshots", request.snapshot ?? "", "snapshot");
      return broker.snapshots.get(request.snapshot ?? "").resource;
    }),
    ListSnapshots: unary((request: ListSnapshotsRequest): ListSnapshotsResponse => {
      const project = parseProject(request.project ?? "");
      const { items, nextPageToken } = page(
        broker.snapshots.inProject(project),
        request.pageSize,
        request.pageToken,
      );
      return { snapshots: items, nextPageToken };
    }),
    DeleteSnapshot: unary((request: DeleteSnapshotRequest): Empty => {
      parseName("snapshots", request.snapshot ?? "", "snapshot");
      broker.snapshots.delete(request.snapshot ?? "");
      return {};
    }),
    Seek: unary((request: SeekRequest): SeekResponse => {
      seek(broker, request);
      return {};
    }),
  };
}

import { status, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { withUnimplemented } from "@scan-ingest/emulator-shared/refusals";
import { invalidArgument, unary } from "@scan-ingest/emulator-shared/status";
import { batchWrite, commit } from "./commit.ts";
import type { Database } from "./database.ts";
import { batchGetDocuments, getDocument, listCollectionIds, listDocuments } from "./documents.ts";
import { listen, Watchers } from "./listen.ts";
import { firestoreService } from "./protos.ts";
import { type Gate, gated, serverStream } from "./rpc.ts";
import { runAggregationQuery, runQuery } from "./run-query.ts";
import type { TransactionOptions } from "./wire.ts";

/** The implemented methods of google.firestore.v1.Firestore; every other one answers UNIMPLEMENTED. */
export function firestoreImplementation(db: Database, gate: Gate): UntypedServiceImplementation {
  const watchers = new Watchers(db);
  const implemented: UntypedServiceImplementation = {
    Listen: listen(db, watchers, gate),
    GetDocument: unary(
      gated(gate, "GetDocument", (request: Parameters<typeof getDocument>[1]) => getDocument(db, request)),
    ),
    BatchGetDocuments: serverStream(
      gated(gate, "BatchGetDocuments", (request: Parameters<typeof batchGetDocuments>[1]) =>
        batchGetDocuments(db, request),
      ),
    ),
    ListDocuments: unary(
      gated(gate, "ListDocuments", (request: Parameters<typeof listDocuments>[1]) =>
        listDocuments(db, request),
      ),
    ),
    ListCollectionIds: unary(
      gated(gate, "ListCollectionIds", (request: Parameters<typeof listCollectionIds>[1]) =>
        listCollectionIds(db, request),
      ),
    ),
    Commit: unary(gated(gate, "Commit", (request: Parameters<typeof commit>[1]) => commit(db, request))),
    BatchWrite: unary(
      gated(gate, "BatchWrite", (request: Parameters<typeof batchWrite>[1]) => batchWrite(db, request)),
    ),
    RunQuery: serverStream(
      gated(gate, "RunQuery", (request: Parameters<typeof runQuery>[1]) => runQuery(db, request)),
    ),
    RunAggregationQuery: serverStream(
      gated(gate, "RunAggregationQuery", async (request: Parameters<typeof runAggregationQuery>[1]) => [
        await runAggregationQuery(db, request),
      ]),
    ),
    BeginTransaction: unary(
      gated(gate, "BeginTransaction", async (request: { database: string; options?: TransactionOptions }) => {
        if (!request.database) throw invalidArgument("BeginTransaction needs a database");
        return { transaction: db.transactions.begin(request.database, request.options).bytes };
      }),
    ),
    Rollback: unary(
      gated(gate, "Rollback", async (request: { database: string; transaction?: Uint8Array }) => {
        if (!request.transaction?.length) throw invalidArgument("Rollback needs a transaction");
        try {
          db.transactions.end(db.transactions.use(request.transaction, request.database));
        } catch (error) {
          // Rolling back a transaction that was already aborted is fine; an unknown one is not.
          if (!(error instanceof Error && "code" in error && error.code === status.ABORTED)) throw error;
        }
        return {};
      }),
    ),
  };
  return withUnimplemented(
    firestoreService,
    implemented,
    (method) =>
      `Method google.firestore.v1.Firestore.${method} is not implemented by the embedded Firestore emulator.`,
  );
}

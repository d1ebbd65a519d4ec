import { Server, ServerCredentials } from "@grpc/grpc-js";
import { createCounters, type FirestoreCounters } from "./counters.ts";
import { Database, defaultTiming, type Timing } from "./database.ts";
import { createFaults, type FirestoreFaults } from "./faults.ts";
import { load, save } from "./persistence.ts";
import { firestoreService } from "./protos.ts";
import { firestoreImplementation } from "./server.ts";
import { projectGuard } from "./project.ts";
import { ttlSweep, type TtlOptions } from "./ttl.ts";
import type { EmbeddedEmulator, EmbeddedEmulatorOptions } from "@scan-ingest/emulator-shared/emulator";

export type { FirestoreCounters } from "./counters.ts";
export type { FirestoreFaults } from "./faults.ts";
export type { TtlOptions, TtlPolicy } from "./ttl.ts";
export { DEFAULT_TTL_SWEEP_MS, readTtlPolicies, ttlPoliciesFromIndexes } from "./ttl.ts";
export { DEFAULT_KEEP_VERSIONS_SECONDS } from "./store.ts";

export interface FirestoreEmulatorOptions extends EmbeddedEmulatorOptions {
  /** Default: accept any project (like Google's emulator). */
  projectId?: string;
  /** Persistence: load at start if present, save at stop. */
  dataDir?: string;
  /** TTL policies: expired documents of their collection groups are deleted every sweep interval. Default none. */
  ttl?: TtlOptions;
  /**
   * How long a superseded document version stays readable at a past read_time; an older read_time is refused
   * FAILED_PRECONDITION. Default DEFAULT_KEEP_VERSIONS_SECONDS (Firestore: an hour).
   */
  keepVersionsSeconds?: number;
}

export interface FirestoreEmulator extends EmbeddedEmulator<FirestoreCounters, FirestoreFaults> {
  /** Drops all data (and ends all transactions). */
  clear(): void;
}

/** Starts the embedded Firestore emulator: google.firestore.v1.Firestore over insecure gRPC. */
export function start(options: FirestoreEmulatorOptions = {}): Promise<FirestoreEmulator> {
  return startWithTiming(options, defaultTiming);
}

/** start() with shorter time limits, for tests of lock waits and transaction expiry. */
export async function startWithTiming(
  options: FirestoreEmulatorOptions,
  timing: Timing,
): Promise<FirestoreEmulator> {
  const hostname = options.host ?? "127.0.0.1";
  const counters = createCounters();
  const faults = createFaults();
  const db = new Database(counters, faults, timing, options.keepVersionsSeconds);
  const ttl = ttlSweep(db, options.ttl ?? { policies: [] });
  if (options.dataDir) await load(db, options.dataDir);
  const server = new Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  server.addService(
    firestoreService,
    projectGuard(options.projectId, firestoreImplementation(db, { counters, faults })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${hostname}:${options.port ?? 0}`,
      ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  ttl.start();
  const sweeper = setInterval(
    () => db.transactions.expireIdle(),
    Math.min(5000, timing.transactionIdleMs / 4),
  );
  sweeper.unref();
  return {
    host: `${hostname}:${port}`,
    port,
    counters,
    faults,
    clear: () => db.clear(),
    async stop() {
      clearInterval(sweeper);
      const ttlStopped = ttl.stop();
      server.forceShutdown();
      // Ending the transactions frees any lock a TTL delete waits for.
      db.transactions.clear();
      await ttlStopped;
      if (options.dataDir) await save(db, options.dataDir);
    },
  };
}

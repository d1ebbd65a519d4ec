import { failedPrecondition, invalidArgument } from "@scan-ingest/emulator-shared/status";
import type { Timestamp } from "./wire.ts";

/** Microseconds since the Unix epoch: Firestore's timestamp precision, exact in a double until year 2255. */
export type Micros = number;

/** The protobuf Timestamp of a time in microseconds. */
export function toTimestamp(micros: Micros): Timestamp {
  const seconds = Math.floor(micros / 1e6);
  return { seconds: String(seconds), nanos: (micros - seconds * 1e6) * 1000 };
}

/** A protobuf Timestamp in microseconds (nanoseconds below a microsecond are dropped). */
export function fromTimestamp(timestamp: Timestamp): Micros {
  return Number(timestamp.seconds ?? 0) * 1e6 + Math.floor((timestamp.nanos ?? 0) / 1000);
}

/** A clock whose readings strictly increase, so every commit has its own time and snapshots are exact. */
export function monotonicClock(): () => Micros {
  let last = 0;
  return () => {
    last = Math.max(last + 1, Date.now() * 1000);
    return last;
  };
}

/** What the store says of the versions it keeps (DocumentStore). */
export interface KeptVersions {
  keepMicros: Micros;
  incompleteBefore: Micros;
}

/**
 * A read_time as Micros; INVALID_ARGUMENT when it lies after `now`, as Firestore and Google's emulator refuse
 * it, and FAILED_PRECONDITION when versions of then may have been dropped (keptReadTime).
 */
export function pastReadTime(timestamp: Timestamp, now: Micros, kept: KeptVersions): Micros {
  const micros = fromTimestamp(timestamp);
  if (micros > now) throw invalidArgument("The requested 'read_time' cannot be in the future.");
  return keptReadTime(micros, kept);
}

/** `micros`, unless a version of then may have been dropped: FAILED_PRECONDITION naming the setting that keeps them longer. */
export function keptReadTime(micros: Micros, kept: KeptVersions): Micros {
  if (micros < kept.incompleteBefore)
    throw failedPrecondition(
      `The read time ${new Date(micros / 1000).toISOString()} is older than this emulator keeps document ` +
        `versions (${kept.keepMicros / 1e6} s after they are replaced). Start it with --keep-versions-seconds ` +
        `(keepVersionsSeconds) to read further back.`,
    );
  return micros;
}

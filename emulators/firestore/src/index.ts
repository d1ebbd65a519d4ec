// Entry point. Turns on Node's compile cache before loading the emulator: its TypeScript modules are
// otherwise type-stripped and compiled again at every start, most of the time `start` takes.
import { enableCompileCache } from "node:module";

export type {
  FirestoreCounters,
  FirestoreEmulator,
  FirestoreEmulatorOptions,
  FirestoreFaults,
  TtlOptions,
  TtlPolicy,
} from "./emulator.ts";

enableCompileCache();

export const {
  start,
  startWithTiming,
  readTtlPolicies,
  ttlPoliciesFromIndexes,
  DEFAULT_TTL_SWEEP_MS,
  DEFAULT_KEEP_VERSIONS_SECONDS,
} = await import("./emulator.ts");

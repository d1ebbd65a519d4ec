// Entry point. Turns on Node's compile cache before loading the emulator: its TypeScript modules are
// otherwise type-stripped and compiled again at every start, most of the time `start` takes.
import { enableCompileCache } from "node:module";

export type { PubSubCounters, PubSubEmulator, PubSubEmulatorOptions, PubSubFaults } from "./emulator.ts";

enableCompileCache();

export const { start, DEFAULT_PUSH_CONCURRENCY } = await import("./emulator.ts");

// The scanner as a library: `npm start` runs it in-process, tests draw scans without publishing.
export { generateScan, ipAt, responseOf, unixSeconds, GO_SCANNER_KEYSPACE } from "./generate.ts";
export type { Keyspace, GeneratedScan, ScanV1, ScanV2 } from "./generate.ts";
export {
  parseOptions,
  OptionsError,
  SCANNER_OPTIONS,
  USAGE,
  DEFAULT_PROJECT,
  DEFAULT_TOPIC,
} from "./options.ts";
export type { ScannerOptions } from "./options.ts";
export { createRandom, freshSeed } from "./random.ts";
export type { Random } from "./random.ts";
export { runScanner, CONNECT_TIMEOUT_MS } from "./run.ts";
export type { Progress, RunHooks, ScannerSummary } from "./run.ts";

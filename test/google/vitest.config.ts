// `npm run test:google`: every test that talks to an emulator, against Google's emulators, which
// test/google/run.ts starts and names through FIRESTORE_EMULATOR_HOST and PUBSUB_EMULATOR_HOST. The same
// files run against the embedded emulators in `npm test`; test/google/ holds what only Google's can check.
import { defineConfig } from "vitest/config";

export const GOOGLE_SUITE = [
  // The conformance suites: Google client libraries only.
  "emulators/firestore/test/{documents,queries,transactions,listen,vector}.test.ts",
  "emulators/pubsub/test/{lifecycle,push,pull,snapshots,ordering,schemas,export-subscriptions}.test.ts",
  // The function end to end through functions-framework, and its bundle under the CLI.
  "functions/test/ingest-http.test.ts",
  "pipeline/test/bundle.test.ts",
  // scansApi through functions-framework: endpoints, pagination, malformed requests.
  "functions/test/api/*.test.ts",
  // The scanner publishing, `scans` reading, `npm start` and the pipeline.
  "scanner/test/publish.test.ts",
  "test/{scans,start,pipeline,pipeline-shared}.test.ts",
  // The web console in Chromium, reading through the read API and the pipeline's counters.
  "test/console/*.test.ts",
  // The reliability suite, without the embedded-only faults.
  "test/reliability/{model-check,bad-input,crash}.test.ts",
  // What needs Google's emulators: security rules, `npm run emulators:google`, `npm start -- --emulators google`.
  "test/google/**/*.test.ts",
];

export default defineConfig({
  root: new URL("../..", import.meta.url).pathname,
  test: {
    include: GOOGLE_SUITE,
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A poll (expect.poll) fails naming what it awaited before the test's own timeout would end it unnamed.
    expect: { poll: { timeout: 110_000, interval: 20 } },
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});

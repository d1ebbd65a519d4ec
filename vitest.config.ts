import { spawnSync } from "node:child_process";
import { defineConfig } from "vitest/config";

// test/gcloud.test.ts drives the installed Google Cloud CLI: where there is none it cannot run, and says so in
// one plain line instead of counting as a skipped (or passed) test.
const gcloud = spawnSync("sh", ["-c", "command -v gcloud"], { stdio: "ignore" }).status === 0;
if (!gcloud) process.stdout.write("test/gcloud.test.ts not run: gcloud is not installed here\n");

export default defineConfig({
  test: {
    include: [
      "{functions,scanner,console,pipeline,cli,emulators/*,test}/test/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    // test/google/ needs Google's emulators: `npm run test:google` runs it (test/google/vitest.config.ts).
    exclude: [
      "**/node_modules/**",
      "**/dist/**",
      "test/google/**",
      "test/containers/**",
      ...(gcloud ? [] : ["test/gcloud.test.ts"]),
    ],
    // Integration tests start real gRPC and HTTP servers; a cold start on a 2-core machine can be slow.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A poll (expect.poll) fails naming what it awaited before the test's own timeout would end it unnamed.
    expect: { poll: { timeout: 50_000, interval: 20 } },
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});

import { defineConfig } from "vitest/config";

// The pure unit tests of the ingest path: no emulator, no server, seconds to run. Stryker mutates the
// modules they test (stryker.config.json), so each of these files must stay free of I/O.
export default defineConfig({
  test: {
    include: [
      "functions/test/{bytes,documents,envelope,failures,history,key,order,scan}.test.ts",
      "functions/test/api/{params,token}.test.ts",
      "scanner/test/generate.test.ts",
    ],
  },
});

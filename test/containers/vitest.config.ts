// `npm run test:containers`: builds every image with buildah and runs the stack as docker-compose.yml wires
// it. Needs root and minutes (a first run also debootstraps the stand-in base), so not part of `npm test`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: new URL("../..", import.meta.url).pathname,
  test: {
    include: ["test/containers/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 1_800_000,
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});

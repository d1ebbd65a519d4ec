// `npm run emulators:firebase -- --java --exec`: the Firebase CLI runs Google's Firestore (with firestore.rules)
// and Pub/Sub emulators beside its Functions emulator, which runs ingestScan on every message. Where those are the
// Google Cloud CLI's, test/firebase/java stands first on PATH to get past the CLI's two Java objections (it says
// why); where they are the Firebase CLI's own downloads on Java 21, nothing stands in.
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { findGoogleEmulators } from "@scan-ingest/emulator-google";
import { createWorkload } from "../reliability/workload.ts";
import { freshEnv, functionLogLines, RUN_LIMIT_MS, runSuite, WORKLOAD } from "../firebase/suite.ts";

const javaWrapper = new URL("../firebase/java", import.meta.url).pathname;

/** A fresh terminal's environment for the Firebase CLI with Google's emulators, or why there is none. */
async function googleEnv(): Promise<NodeJS.ProcessEnv> {
  // test:google's own emulators are not the ones under test: the CLI starts its own on firebase.json's ports.
  const env = freshEnv();
  const result = await findGoogleEmulators(env);
  if ("missing" in result) throw new Error(result.missing);
  const { found } = result;
  if (found.source === "gcloud") {
    const bin = mkdtempSync(join(tmpdir(), "firebase-java-"));
    symlinkSync(javaWrapper, join(bin, "java"));
    Object.assign(env, {
      PATH: `${bin}:${env.PATH ?? ""}`,
      REAL_JAVA: found.java,
      FIRESTORE_EMULATOR_BINARY_PATH: found.firestore.jar,
      PUBSUB_EMULATOR_BINARY_PATH: found.pubsub.launcher,
    });
  }
  return env;
}

test(
  "stores what the model says on Google's emulators, logs through the CLI, and firestore.rules denies a web client",
  async () => {
    const run = await runSuite({ java: true, rules: true, env: await googleEnv() });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("set-up: Google's Firestore");
    expect(run.result?.problems, run.output).toEqual([]);
    expect(run.result?.webClient).toBe("permission-denied");

    const lines = functionLogLines(run.output);
    const broken = createWorkload(WORKLOAD).filter((message) => message.kind === "broken").length;
    expect(lines.filter((line) => line.outcome === "rejected")).toHaveLength(broken);
    expect(lines.filter((line) => line.outcome !== undefined).length).toBeGreaterThanOrEqual(
      WORKLOAD.messages,
    );
    process.stdout.write(
      `firebase suite on Google's emulators: ${run.result?.published} messages, first stored scan ${run.firstStoredMs} ms after the command started\n`,
    );
  },
  RUN_LIMIT_MS + 30_000,
);

// Finding Google's emulators: which installation is used, and what a machine without them is told.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { findGoogleEmulators } from "../src/index.ts";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "google-emulators-"));
});
afterAll(() => rm(directory, { recursive: true, force: true }));

/** A stand-in `java` that reports the given version, as `java -version` does, on stderr. */
async function fakeJava(major: number): Promise<string> {
  const bin = join(directory, `java${major}`, "bin");
  await mkdir(bin, { recursive: true });
  const java = join(bin, "java");
  await writeFile(java, `#!/bin/sh\necho 'openjdk version "${major}.0.2" 2024-01-16' >&2\n`);
  await chmod(java, 0o755);
  return join(directory, `java${major}`);
}

/** A Firebase CLI emulator cache with the layout firebase-tools downloads into. */
async function firebaseCache(): Promise<string> {
  const cache = join(directory, "firebase");
  await mkdir(join(cache, "pubsub-emulator-0.8.37/pubsub-emulator/bin"), { recursive: true });
  await writeFile(join(cache, "cloud-firestore-emulator-v1.22.0.jar"), "");
  await writeFile(join(cache, "cloud-firestore-emulator-v1.9.0.jar"), "");
  await writeFile(join(cache, "pubsub-emulator-0.8.37/pubsub-emulator/bin/cloud-pubsub-emulator"), "");
  return cache;
}

describe("findGoogleEmulators", () => {
  test("with neither the Google Cloud CLI nor the Firebase CLI's downloads, says what to install", async () => {
    const empty = join(directory, "empty");
    await mkdir(empty, { recursive: true });
    const result = await findGoogleEmulators({ PATH: empty, FIREBASE_EMULATORS_PATH: empty });
    expect(result).toEqual({ missing: expect.stringContaining("no Google Cloud CLI (gcloud) on PATH") });
    const { missing } = result as { missing: string };
    expect(missing).toContain(`no Firebase CLI emulator downloads in ${empty}`);
    expect(missing).toContain("gcloud components install cloud-firestore-emulator pubsub-emulator");
    expect(missing).toContain("npm run emulators:embedded");
  });

  test("takes the Firebase CLI's newest downloads when Java 21 runs them", async () => {
    const cache = await firebaseCache();
    const javaHome = await fakeJava(21);
    const result = await findGoogleEmulators({
      PATH: "",
      JAVA_HOME: javaHome,
      FIREBASE_EMULATORS_PATH: cache,
    });
    expect(result).toEqual({
      found: {
        source: "firebase",
        root: cache,
        java: join(javaHome, "bin/java"),
        javaMajor: 21,
        firestore: { jar: join(cache, "cloud-firestore-emulator-v1.22.0.jar"), version: "1.22.0" },
        pubsub: {
          launcher: join(cache, "pubsub-emulator-0.8.37/pubsub-emulator/bin/cloud-pubsub-emulator"),
          version: "0.8.37",
        },
      },
    });
  });

  test("refuses the Firebase CLI's downloads on Java 17, naming the Java it found and the one they need", async () => {
    const cache = await firebaseCache();
    const javaHome = await fakeJava(17);
    const result = await findGoogleEmulators({
      PATH: "",
      JAVA_HOME: javaHome,
      FIREBASE_EMULATORS_PATH: cache,
    });
    expect((result as { missing: string }).missing).toContain(
      `they need Java 21 or later and ${join(javaHome, "bin/java")} is Java 17`,
    );
  });
});

test("npm run emulators:google without Google's emulators exits 1 and says what to install", async () => {
  const empty = join(directory, "empty-cli");
  await mkdir(empty, { recursive: true });
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const child = spawn(process.execPath, [cli], {
    env: { PATH: empty, FIREBASE_EMULATORS_PATH: empty, HOME: empty },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, "close");
  expect(code).toBe(1);
  expect(stderr).toMatch(/^emulators: Google's emulators cannot start here: .* To use them, install /);
  expect(stderr).toContain("npm run emulators:embedded");
});

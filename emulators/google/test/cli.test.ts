// `npm run emulators:google`'s command line: its help and its refusals, which need no emulator installed
// (test/google/start-google.test.ts runs the command against Google's emulators).
import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { DEFAULT_EMULATOR_PORTS, DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";

const cli = new URL("../cli.ts", import.meta.url).pathname;

function run(args: string[]) {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
  return { status, stdout, stderr };
}

describe("npm run emulators:google", () => {
  test("--help prints the flags with the emulators' default ports and project, and exits 0", () => {
    const { status, stdout } = run(["--help"]);
    expect(status).toBe(0);
    expect(stdout).toContain(
      `  --firestore-port N   Firestore port (default ${DEFAULT_EMULATOR_PORTS.firestore}; 0 picks a free one)\n`,
    );
    expect(stdout).toContain(
      `  --pubsub-port N      Pub/Sub port (default ${DEFAULT_EMULATOR_PORTS.pubsub}; 0 picks a free one)\n`,
    );
    expect(stdout).toContain(`GOOGLE_CLOUD_PROJECT (default ${DEFAULT_PROJECT})\n`);
  });

  test.each<[string, string[], string]>([
    ["an unknown flag", ["--bogus"], "Unknown option '--bogus'"],
    [
      "a port past 65535",
      ["--pubsub-port", "65536"],
      '--pubsub-port must be a whole number 0..65535, got "65536"',
    ],
    [
      "a negative port",
      ["--firestore-port=-1"],
      '--firestore-port must be a whole number 0..65535, got "-1"',
    ],
    ["an unknown source", ["--source", "docker"], '--source must be gcloud or firebase, got "docker"'],
  ])("refuses %s with exit status 2, naming it, then the usage", (_name, args, message) => {
    const { status, stdout, stderr } = run(args);
    expect(status).toBe(2);
    expect(stdout).toBe("");
    const [first, ...usage] = stderr.split("\n\n");
    expect(first).toBe(`emulators: ${message}`);
    expect(usage.join("\n\n")).toMatch(/^Usage: npm run emulators:google -- \[flags\]\n/);
  });
});

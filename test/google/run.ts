// `npm run test:google`: starts Google's Firestore and Pub/Sub emulators on free ports, runs every
// emulator-facing test against them (test/google/vitest.config.ts), stops them, and exits as vitest did.
// `--detect` only says whether Google's emulators can run here (exit 0) or why not (exit 3).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { findGoogleEmulators, startGoogleEmulators } from "@scan-ingest/emulator-google";

const root = fileURLToPath(new URL("../..", import.meta.url));
const args = process.argv.slice(2);

if (args[0] === "--detect") {
  const result = await findGoogleEmulators();
  if ("missing" in result) {
    process.stdout.write(`${result.missing}\n`);
    process.exit(3);
  }
  const { source, root: where, javaMajor, firestore, pubsub } = result.found;
  process.stdout.write(
    `Google's emulators: ${source} (${where}, Java ${javaMajor}), Firestore ${firestore.version}, Pub/Sub ${pubsub.version}\n`,
  );
  process.exit(0);
}

const began = performance.now();
// Started without security rules: the tests that need rules load them per project (test/google/rules.test.ts).
const emulators = await startGoogleEmulators({ firestorePort: 0, pubsubPort: 0 }).catch((error: Error) => {
  process.stderr.write(`test:google: ${error.message}\n`);
  process.exit(1);
});
const { install, firestore, pubsub } = emulators;
process.stdout.write(
  `test:google: Google's emulators from ${install.source} (${install.root}, Java ${install.javaMajor}): ` +
    `Firestore ${install.firestore.version} at ${firestore.host} (ready in ${Math.round(firestore.readyMs)} ms), ` +
    `Pub/Sub ${install.pubsub.version} at ${pubsub.host} (ready in ${Math.round(pubsub.readyMs)} ms)\n`,
);

const stop = async () => void (await emulators.stop());
process.once("SIGINT", () => void stop().then(() => process.exit(130)));
process.once("SIGTERM", () => void stop().then(() => process.exit(143)));

const env: NodeJS.ProcessEnv = {
  ...process.env,
  FIRESTORE_EMULATOR_HOST: firestore.host,
  PUBSUB_EMULATOR_HOST: pubsub.host,
};
// Tests pick their own projects; none may inherit the caller's.
delete env.GOOGLE_CLOUD_PROJECT;
delete env.GCLOUD_PROJECT;
const vitest = spawn(
  process.execPath,
  [`${root}/node_modules/vitest/vitest.mjs`, "run", "--config", "test/google/vitest.config.ts", ...args],
  {
    cwd: root,
    stdio: "inherit",
    env,
  },
);
const [code] = (await once(vitest, "exit")) as [number | null];
await stop();
process.stdout.write(`test:google: ${Math.round((performance.now() - began) / 1000)} s in all\n`);
process.exit(code ?? 1);

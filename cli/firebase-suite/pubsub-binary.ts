#!/usr/bin/env node
// The embedded Pub/Sub emulator in the Firebase CLI's place for Google's: `npm run emulators:firebase` points
// PUBSUB_EMULATOR_BINARY_PATH here, and the CLI starts it as `BIN --host=H --port=N` (all it asks of it).
import { parseArgs } from "node:util";
import { stopOnSignals } from "@scan-ingest/emulator-shared/cli-output";
import { DEFAULT_EMULATOR_PORTS } from "@scan-ingest/emulator-shared/defaults";
import { start } from "@scan-ingest/emulator-pubsub";

const { values } = parseArgs({
  strict: true,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: String(DEFAULT_EMULATOR_PORTS.pubsub) },
  },
});
const port = Number(values.port);
if (!/^\d+$/.test(values.port) || port > 65535) {
  process.stderr.write(`pubsub: --port must be a whole number 0..65535, got "${values.port}"\n`);
  process.exit(2);
}
const pubsub = await start({ host: values.host, port });
process.stdout.write(`pubsub: the embedded Pub/Sub emulator is ready at ${pubsub.host}\n`);
stopOnSignals(() => pubsub.stop());

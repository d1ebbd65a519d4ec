// `npm run scans -- get|list|rejects ...`: read what the ingest function stored (see USAGE in args.ts).
import { runScans } from "./run.ts";

const status = await runScans(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
// Exit once the output is written, without waiting for a Firestore client that may still be retrying.
process.stdout.write("", () => process.stderr.write("", () => process.exit(status)));

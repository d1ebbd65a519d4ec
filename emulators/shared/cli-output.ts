// What both emulator commands (`npm run emulators:embedded`, `npm run emulators:google`) share: reading the command
// line with one usage text, the lines that point clients at the emulators, and stopping once on a signal.

/** A flag that cannot be used; the message names it. */
export class UsageError extends Error {}

/** The parsed options, or undefined after printing the help (exit 0) or a usage error (exit 2). */
export function readCommandLine<T>(parse: (args: string[]) => T | "help", usage: string): T | undefined {
  let options: T | "help";
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`emulators: ${error.message}\n\n${usage}\n`);
    process.exitCode = 2;
    return undefined;
  }
  if (options === "help") {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return options;
}

/** Prints the export lines clients need, then the line with "ready" that scripts wait for. */
export function announceReady(firestoreHost: string, pubsubHost: string, projectId: string): void {
  process.stdout.write(
    [
      `export FIRESTORE_EMULATOR_HOST=${firestoreHost}`,
      `export PUBSUB_EMULATOR_HOST=${pubsubHost}`,
      `export GOOGLE_CLOUD_PROJECT=${projectId}`,
      `emulators: ready (Firestore ${firestoreHost}, Pub/Sub ${pubsubHost}); Ctrl-C stops them`,
      "",
    ].join("\n"),
  );
}

/** Stops once on SIGINT or SIGTERM, then says so. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const once = async () => {
    if (stopping) return;
    stopping = true;
    await stop();
    process.stderr.write("emulators: stopped\n");
  };
  process.on("SIGINT", once);
  process.on("SIGTERM", once);
}

// The test harnesses' choice of emulator: the one a *_EMULATOR_HOST variable names (Google's, say), else an
// embedded one. The embedded emulators are passed in, so this package depends on neither of them.

/** An emulator a test talks to: its host:port, the embedded one's handle when started here, and its stop. */
export interface EmulatorTarget<Embedded> {
  host: string;
  embedded: Embedded | undefined;
  /** Stops the embedded emulator; an external one is left running. */
  stop(): Promise<void>;
}

/** The emulator `variable` names when set and non-empty, else a new embedded one from `start`. */
export async function emulatorTarget<Embedded extends { host: string; stop(): Promise<void> }>(
  variable: "FIRESTORE_EMULATOR_HOST" | "PUBSUB_EMULATOR_HOST",
  start: () => Promise<Embedded>,
): Promise<EmulatorTarget<Embedded>> {
  const external = process.env[variable];
  if (external) return { host: external, embedded: undefined, stop: async () => {} };
  const embedded = await start();
  return { host: embedded.host, embedded, stop: () => embedded.stop() };
}

// The shape both embedded emulators share: start({ port }) → { host, port, counters, faults, stop() }.

/** Where an embedded emulator listens. */
export interface EmbeddedEmulatorOptions {
  /** 0 or absent: a free port chosen by the OS. */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
}

/** A running embedded emulator. */
export interface EmbeddedEmulator<Counters, Faults> {
  /** "127.0.0.1:PORT", the value for its *_EMULATOR_HOST. */
  host: string;
  port: number;
  counters: Counters;
  /** Mutable at run time. */
  faults: Faults;
  stop(): Promise<void>;
}

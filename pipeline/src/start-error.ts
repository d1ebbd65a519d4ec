// Why the pipeline, or one of its parts, could not start.

/** A start-up failure; `part` names what failed, the message says what to do. */
export class PipelineStartError extends Error {
  override name = "PipelineStartError";
  readonly part: "build" | "emulators" | "firestore" | "pubsub" | "function" | "topology";
  /** The port that was taken, when that was the problem. */
  readonly port: number | undefined;
  constructor(
    part: PipelineStartError["part"],
    message: string,
    options: { port?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.part = part;
    this.port = options.port;
  }
}

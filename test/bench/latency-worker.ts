// A child process that sends push deliveries to a function server at a fixed concurrency and reports each
// one's latency: the load generator runs apart from the emulator so their CPU is counted separately.
import type { LoadMessage } from "./load-worker.ts";
import { deliverPush, inParallel } from "./measure.ts";

export interface LatencyRequest {
  url: string;
  concurrency: number;
  messages: LoadMessage[];
}

export interface LatencyResult {
  elapsedMs: number;
  failures: number;
  /** One per message, in milliseconds, in completion order. */
  latenciesMs: number[];
}

async function run(request: LatencyRequest): Promise<LatencyResult> {
  const latenciesMs: number[] = [];
  let failures = 0;
  const started = performance.now();
  await inParallel(request.messages, request.concurrency, async ({ data, messageId }) => {
    const sent = performance.now();
    if ((await deliverPush(request.url, data, messageId)) !== 204) failures++;
    latenciesMs.push(performance.now() - sent);
  });
  return { elapsedMs: performance.now() - started, failures, latenciesMs };
}

process.on("message", (request: LatencyRequest) => {
  run(request).then(
    (result) => process.send!(result),
    (error: unknown) => process.send!({ error: String((error as Error).stack ?? error) }),
  );
});
process.on("disconnect", () => process.exit(0));

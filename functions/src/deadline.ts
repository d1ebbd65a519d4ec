// The one deadline race: the ingest path's store calls, `scans`' reads and the pipeline's set-up steps use it.
import { setTimeout as delay } from "node:timers/promises";

/**
 * `work`'s result, or `late()`'s error once `ms` pass first. The abandoned work still runs to its end; its late
 * failure is handled by the race, and the timer stops as soon as the race is decided.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  const settled = new AbortController();
  const timer = delay(ms, undefined, { signal: settled.signal }).then(() => {
    throw late();
  });
  try {
    return await Promise.race([work, timer]);
  } finally {
    settled.abort();
  }
}

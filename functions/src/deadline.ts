// The one deadline race: the ingest path's store calls, `scans`' reads and the pipeline's set-up steps use it.

/**
 * `work`'s result, or `late()`'s error once `ms` pass first. The abandoned work still runs to its end; its late
 * failure is handled here, and the timer stops as soon as the race is decided. A plain timer rather than an
 * aborted one: aborting builds an AbortError with a stack for every message that beats its deadline.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(late()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

// Both functions' work, run outside functions-framework's per-request domain.

/**
 * Runs `work` outside functions-framework's per-request domain. Inside it, every promise, timer and socket
 * callback is tagged and re-entered, which cost more CPU than the Firestore SDK itself under load; the
 * work's failures still reach functions-framework as rejections.
 */
export function outsideRequestDomain<T>(work: () => Promise<T>): Promise<T> {
  // Typed by hand: @types/node leaves process.domain out, the domain module being deprecated.
  const domain = (process as { domain?: { enter(): void; exit(): void } | null }).domain;
  if (!domain) return work();
  domain.exit();
  try {
    return work();
  } finally {
    domain.enter();
  }
}

// Firestore calls made outside functions-framework's per-request domain (shared by both functions).

/**
 * Runs the store call outside functions-framework's per-request domain. Inside it, every promise and
 * socket callback the Firestore SDK creates is tagged and re-entered, which cost more CPU than the SDK
 * itself under load; the call's failures still reach the handler as rejections.
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

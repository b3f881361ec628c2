/** A thread count within 1..maxThreads (a missing or odd cap leaves only the floor of 1). */
export function capThreads(threads: number, maxThreads?: number): number {
  const wanted = Number.isFinite(threads) ? Math.floor(threads) : 1;
  const max = maxThreads !== undefined && Number.isFinite(maxThreads) ? Math.floor(maxThreads) : wanted;
  return Math.max(1, Math.min(wanted, max));
}

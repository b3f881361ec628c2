/**
 * Failed sign-in limiter keyed by email + client IP: after `maxFailures` failures within `windowMs`,
 * further attempts for that key are refused until the window (counted from the first failure) ends.
 * A successful sign-in clears the key.
 *
 * In-process on purpose for now: with several web replicas each replica counts on its own, so the
 * effective limit is `maxFailures × replicas`. Moving the counters to Postgres or NATS KV is the step
 * for a multi-replica deployment.
 */

export interface SignInLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  /** Upper bound on tracked keys; the oldest are dropped first (a flood cannot exhaust memory). */
  maxKeys?: number;
  now?: () => number;
}

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Entry {
  failures: number;
  windowStart: number;
}

export class SignInLimiter {
  readonly maxFailures: number;
  readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: SignInLimiterOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 5;
    this.windowMs = opts.windowMs ?? 15 * 60_000;
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  static key(email: string, ip: string): string {
    return `${email.trim().toLowerCase()}|${ip}`;
  }

  check(key: string): LimitDecision {
    const entry = this.live(key);
    if (!entry || entry.failures < this.maxFailures) return { allowed: true };
    return { allowed: false, retryAfterMs: entry.windowStart + this.windowMs - this.now() };
  }

  recordFailure(key: string): void {
    const entry = this.live(key);
    if (entry) {
      entry.failures += 1;
      return;
    }
    if (this.entries.size >= this.maxKeys) this.evictOldest();
    this.entries.set(key, { failures: 1, windowStart: this.now() });
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** The entry for `key` if its window is still open (expired entries are dropped on sight). */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.windowStart >= this.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private evictOldest(): void {
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (now - e.windowStart >= this.windowMs) this.entries.delete(k);
    }
    // Maps iterate in insertion order: the first key is the oldest window.
    while (this.entries.size >= this.maxKeys) {
      const first = this.entries.keys().next();
      if (first.done) break;
      this.entries.delete(first.value);
    }
  }
}

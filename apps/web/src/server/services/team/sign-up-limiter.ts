/**
 * Sign-up attempts per client IP, counted with the sign-in limiter's window logic: every attempt counts
 * (successful ones too, so one address cannot mass-create organizations), 10 per hour by default.
 * In-process, like the sign-in limiter: with several web replicas each replica counts on its own.
 */
import { ServiceError } from "../../errors";
import { SignInLimiter } from "../auth/sign-in-limiter";

export const SIGN_UP_MAX_ATTEMPTS = 10;
export const SIGN_UP_WINDOW_MS = 60 * 60_000;

export function newSignUpLimiter(opts: { maxAttempts?: number; now?: () => number } = {}): SignInLimiter {
  return new SignInLimiter({
    maxFailures: opts.maxAttempts ?? SIGN_UP_MAX_ATTEMPTS,
    windowMs: SIGN_UP_WINDOW_MS,
    now: opts.now,
  });
}

const globalForLimiter = globalThis as typeof globalThis & { __edgewattSignUpLimiter?: SignInLimiter };

/** The process-wide limiter the sign-up and invitation pages share. */
export function signUpLimiter(): SignInLimiter {
  globalForLimiter.__edgewattSignUpLimiter ??= newSignUpLimiter();
  return globalForLimiter.__edgewattSignUpLimiter;
}

/** Throws RATE_LIMITED when `ip` used up its attempts, else counts this one. */
export function countSignUpAttempt(limiter: SignInLimiter, ip: string): void {
  const key = `signup|${ip}`;
  const decision = limiter.check(key);
  if (!decision.allowed) {
    const minutes = Math.max(1, Math.ceil(decision.retryAfterMs / 60_000));
    throw new ServiceError(
      "RATE_LIMITED",
      `Too many sign-up attempts from your network. Wait ${minutes} minute${minutes === 1 ? "" : "s"} and try again.`,
    );
  }
  limiter.recordFailure(key);
}

import { describe, expect, it } from "vitest";
import { SignInLimiter } from "./sign-in-limiter";

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("SignInLimiter", () => {
  it("blocks a key after maxFailures within the window, then lets it through when the window ends", () => {
    const c = clock();
    const limiter = new SignInLimiter({ maxFailures: 3, windowMs: 60_000, now: c.now });
    const key = SignInLimiter.key("Admin@EdgeWatt.local ", "10.0.0.1");
    expect(key).toBe("admin@edgewatt.local|10.0.0.1");
    for (let i = 0; i < 3; i++) {
      expect(limiter.check(key)).toEqual({ allowed: true });
      limiter.recordFailure(key);
      c.advance(1_000);
    }
    const blocked = limiter.check(key);
    expect(blocked.allowed).toBe(false);
    if (!blocked.allowed) expect(blocked.retryAfterMs).toBe(57_000);
    c.advance(57_000);
    expect(limiter.check(key)).toEqual({ allowed: true });
  });

  it("counts each email+IP pair separately", () => {
    const c = clock();
    const limiter = new SignInLimiter({ maxFailures: 1, windowMs: 60_000, now: c.now });
    limiter.recordFailure(SignInLimiter.key("a@x.io", "1.1.1.1"));
    expect(limiter.check(SignInLimiter.key("a@x.io", "1.1.1.1")).allowed).toBe(false);
    expect(limiter.check(SignInLimiter.key("a@x.io", "2.2.2.2")).allowed).toBe(true);
    expect(limiter.check(SignInLimiter.key("b@x.io", "1.1.1.1")).allowed).toBe(true);
  });

  it("clears a key on reset (successful sign-in)", () => {
    const limiter = new SignInLimiter({ maxFailures: 2 });
    const key = SignInLimiter.key("a@x.io", "ip");
    limiter.recordFailure(key);
    limiter.recordFailure(key);
    expect(limiter.check(key).allowed).toBe(false);
    limiter.reset(key);
    expect(limiter.check(key).allowed).toBe(true);
  });

  it("bounds memory by evicting the oldest keys", () => {
    const c = clock();
    const limiter = new SignInLimiter({ maxFailures: 1, windowMs: 60_000, maxKeys: 3, now: c.now });
    for (const ip of ["1", "2", "3", "4"]) {
      limiter.recordFailure(SignInLimiter.key("a@x.io", ip));
      c.advance(10);
    }
    expect(limiter.check(SignInLimiter.key("a@x.io", "1")).allowed).toBe(true);
    expect(limiter.check(SignInLimiter.key("a@x.io", "4")).allowed).toBe(false);
  });
});

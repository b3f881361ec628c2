import { describe, expect, it } from "vitest";
import { QueueClosedError, RequestQueue } from "./request-queue";

describe("request queue", () => {
  it("serves critical, then normal, then background, each in arrival order", async () => {
    const q = new RequestQueue<string>({ capacity: 10 });
    q.push("b1", "background");
    q.push("n1", "normal");
    q.push("c1", "critical");
    q.push("n2", "normal");
    q.push("c2", "critical");
    const order: string[] = [];
    while (q.depth > 0) order.push(await q.take());
    expect(order).toEqual(["c1", "c2", "n1", "n2", "b1"]);
  });

  it("ages background work past normal work so it is not starved", async () => {
    let now = 0;
    const q = new RequestQueue<string>({ capacity: 10, agingMs: 1000, now: () => now });
    q.push("b1", "background");
    q.push("n1", "normal");
    q.push("n2", "normal");
    expect(await q.take()).toBe("n1");
    now = 1500;
    q.push("c1", "critical");
    expect(await q.take()).toBe("c1"); // critical still first
    expect(await q.take()).toBe("b1"); // then the aged background request, ahead of n2
    expect(await q.take()).toBe("n2");
  });

  it("when full, evicts the newest less important request, never a more important one", () => {
    const q = new RequestQueue<string>({ capacity: 3 });
    const evicted: string[] = [];
    const push = (item: string, p: "critical" | "normal" | "background") =>
      q.push(item, p, { onEvict: () => evicted.push(item) });
    push("b1", "background");
    push("b2", "background");
    push("n1", "normal");
    expect(push("c1", "critical")).toEqual({ ok: true });
    expect(evicted).toEqual(["b2"]);
    expect(push("n2", "normal")).toEqual({ ok: true });
    expect(evicted).toEqual(["b2", "b1"]);
    expect(push("c2", "critical")).toEqual({ ok: true });
    expect(evicted).toEqual(["b2", "b1", "n2"]);
    const refused = push("b3", "background");
    expect(refused.ok).toBe(false);
    expect(refused.ok === false && refused.reason).toMatch(/full \(3 requests waiting/);
    expect(push("c3", "critical")).toEqual({ ok: true }); // n1 goes
    expect(evicted).toEqual(["b2", "b1", "n2", "n1"]);
    expect(push("c4", "critical").ok).toBe(false); // only critical work left: nothing to evict
    expect(q.depthByPriority).toEqual({ critical: 3, normal: 0, background: 0 });
  });

  it("hands a pushed request straight to a waiting taker, and drops one whose caller cancelled", async () => {
    const q = new RequestQueue<string>({ capacity: 2 });
    const waiting = q.take();
    q.push("n1", "normal");
    expect(await waiting).toBe("n1");

    const abort = new AbortController();
    let cancelled = 0;
    q.push("n2", "normal", { signal: abort.signal, onCancel: () => cancelled++ });
    q.push("n3", "normal");
    abort.abort();
    expect(cancelled).toBe(1);
    expect(q.depth).toBe(1);
    expect(await q.take()).toBe("n3");
    expect(q.push("n4", "normal", { signal: abort.signal }).ok).toBe(false);
  });

  it("close() returns what was queued and rejects waiting takers; take() can be aborted", async () => {
    const q = new RequestQueue<string>({ capacity: 4 });
    const stop = new AbortController();
    const aborted = q.take(stop.signal);
    stop.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");

    q.push("n1", "normal");
    q.push("c1", "critical");
    expect(q.close().sort()).toEqual(["c1", "n1"]);
    await expect(q.take()).rejects.toBeInstanceOf(QueueClosedError);
    expect(q.push("n2", "normal").ok).toBe(false);
  });

  it("rejects a capacity that is not a positive integer", () => {
    expect(() => new RequestQueue({ capacity: 0 })).toThrow(RangeError);
  });
});

/**
 * The agent's one request queue: strict priority (critical, then normal, then background) with aging so
 * background work is not starved forever, and a bounded size where a full queue makes room for more
 * important work by evicting the newest less important request.
 */
import { PRIORITIES, type Priority } from "@edgewatt/protocol";

export interface RequestQueueOptions {
  /** Most requests queued at once, all priorities together. */
  capacity: number;
  /** A background request that has waited this long is served before normal work. */
  agingMs?: number;
  now?: () => number;
}

export interface PushOptions {
  /** Aborting it takes the request out of the queue (then `onCancel` runs). */
  signal?: AbortSignal;
  /** Runs when the request is dropped to make room for more important work. */
  onEvict?: () => void;
  onCancel?: () => void;
}

export type PushResult = { ok: true } | { ok: false; reason: string };

interface Entry<T> {
  item: T;
  priority: Priority;
  at: number;
  opts: PushOptions;
  detach: () => void;
}

export class QueueClosedError extends Error {
  constructor() {
    super("the request queue is closed");
    this.name = "QueueClosedError";
  }
}

export class RequestQueue<T> {
  private readonly lanes: Record<Priority, Array<Entry<T>>> = { critical: [], normal: [], background: [] };
  private waiters: Array<{ resolve: (item: T) => void; reject: (err: Error) => void }> = [];
  private closed = false;
  private readonly agingMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: RequestQueueOptions) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) {
      throw new RangeError(`queue capacity must be a positive integer, got ${opts.capacity}`);
    }
    this.agingMs = opts.agingMs ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  get depth(): number {
    return this.lanes.critical.length + this.lanes.normal.length + this.lanes.background.length;
  }

  get depthByPriority(): Record<Priority, number> {
    return {
      critical: this.lanes.critical.length,
      normal: this.lanes.normal.length,
      background: this.lanes.background.length,
    };
  }

  push(item: T, priority: Priority, opts: PushOptions = {}): PushResult {
    if (this.closed) return { ok: false, reason: "the queue is closed (the agent is shutting down)" };
    if (opts.signal?.aborted) return { ok: false, reason: "the request was cancelled before it was queued" };
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(item);
      return { ok: true };
    }
    if (this.depth >= this.opts.capacity && !this.evictFor(priority)) {
      return {
        ok: false,
        reason: `the queue is full (${this.opts.capacity} requests waiting, none less important than ${priority}); retry later`,
      };
    }
    const entry: Entry<T> = { item, priority, at: this.now(), opts, detach: () => {} };
    if (opts.signal) {
      const signal = opts.signal;
      const onAbort = () => {
        if (this.remove(entry)) opts.onCancel?.();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      entry.detach = () => signal.removeEventListener("abort", onAbort);
    }
    this.lanes[priority].push(entry);
    return { ok: true };
  }

  /** The next request by priority; waits while the queue is empty. Rejects when `signal` aborts or on close. */
  take(signal?: AbortSignal): Promise<T> {
    const entry = this.next();
    if (entry) return Promise.resolve(entry.item);
    if (this.closed) return Promise.reject(new QueueClosedError());
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        resolve: (item: T) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(item);
        },
        reject: (err: Error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal?.reason ?? new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Refuses further pushes, wakes waiting takers with an error, and returns what was still queued. */
  close(): T[] {
    this.closed = true;
    const left: T[] = [];
    for (const p of PRIORITIES) {
      for (const e of this.lanes[p]) {
        e.detach();
        left.push(e.item);
      }
      this.lanes[p] = [];
    }
    for (const w of this.waiters) w.reject(new QueueClosedError());
    this.waiters = [];
    return left;
  }

  private next(): Entry<T> | undefined {
    const { critical, normal, background } = this.lanes;
    let entry: Entry<T> | undefined;
    if (critical.length > 0) entry = critical.shift();
    else if (background.length > 0 && this.now() - (background[0] as Entry<T>).at >= this.agingMs)
      entry = background.shift();
    else if (normal.length > 0) entry = normal.shift();
    else entry = background.shift();
    entry?.detach();
    return entry;
  }

  /** Drops the newest request less important than `priority`; false when there is none. */
  private evictFor(priority: Priority): boolean {
    const lower: Priority[] =
      priority === "critical" ? ["background", "normal"] : priority === "normal" ? ["background"] : [];
    for (const p of lower) {
      const victim = this.lanes[p].pop();
      if (victim) {
        victim.detach();
        victim.opts.onEvict?.();
        return true;
      }
    }
    return false;
  }

  private remove(entry: Entry<T>): boolean {
    const lane = this.lanes[entry.priority];
    const i = lane.indexOf(entry);
    if (i < 0) return false;
    lane.splice(i, 1);
    entry.detach();
    return true;
  }
}

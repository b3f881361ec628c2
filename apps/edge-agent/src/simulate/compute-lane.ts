/**
 * The simulator's one lane for real computation: runs take turns (FIFO), so the process CPU time measured around
 * one run is that run's, not a neighbour's — `process.cpuUsage()` is per process, and a few hundred virtual
 * devices share one. What else the process does during a run (telemetry, NATS) still lands in the figure; the
 * virtual device caps it at threads × wall.
 */

export interface LaneRun<T> {
  ok: boolean;
  result: T | undefined;
  error: unknown;
  /** Process CPU time (user + system, all threads) during the run. */
  cpuMs: number;
  wallMs: number;
  /** Time spent waiting for the lane. */
  waitMs: number;
}

export class ComputeLane {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;
  runs = 0;
  busyMs = 0;

  /** Runs waiting for their turn. */
  get depth(): number {
    return this.waiting;
  }

  run<T>(fn: () => Promise<T>): Promise<LaneRun<T>> {
    const queuedAt = performance.now();
    this.waiting++;
    const turn = this.tail.then(async (): Promise<LaneRun<T>> => {
      this.waiting--;
      const waitMs = performance.now() - queuedAt;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let ok = true;
      let result: T | undefined;
      let error: unknown;
      try {
        result = await fn();
      } catch (err) {
        ok = false;
        error = err;
      }
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      this.runs++;
      this.busyMs += wallMs;
      return { ok, result, error, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, waitMs };
    });
    this.tail = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** Resolves once every run queued so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}

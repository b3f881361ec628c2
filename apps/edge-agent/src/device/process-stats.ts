/** The agent process's own CPU share and memory, sampled for telemetry state. */

export class CpuSampler {
  private lastCpu = process.cpuUsage();
  private lastWall = process.hrtime.bigint();
  private pct: number | null = null;

  /** Process CPU use since the previous sample, in percent of one core (may exceed 100 with several threads). */
  sample(): number | null {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = process.hrtime.bigint();
    const wallUs = Number(now - this.lastWall) / 1000;
    this.lastCpu = process.cpuUsage();
    this.lastWall = now;
    if (wallUs > 0) this.pct = Math.round(((cpu.user + cpu.system) / wallUs) * 1000) / 10;
    return this.pct;
  }

  /** The last sampled value, without taking a new sample. */
  get last(): number | null {
    return this.pct;
  }
}

let rssCache = { at: 0, bytes: 0 };

/**
 * The process's resident memory, at most 250 ms old. Reading it costs several µs (a /proc read), which the
 * per-inference path must not pay: state is recorded with every sample.
 */
export function rssBytes(now = Date.now()): number {
  if (now - rssCache.at >= 250) rssCache = { at: now, bytes: process.memoryUsage.rss() };
  return rssCache.bytes;
}

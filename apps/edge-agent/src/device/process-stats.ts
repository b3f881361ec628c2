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

export function rssBytes(): number {
  return process.memoryUsage.rss();
}

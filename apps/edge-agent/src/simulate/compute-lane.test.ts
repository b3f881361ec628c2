import { describe, expect, it } from "vitest";
import { ComputeLane } from "./compute-lane";

describe("ComputeLane", () => {
  it("runs one job at a time in arrival order and measures each", async () => {
    const lane = new ComputeLane();
    const order: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const job = (name: string, ms: number) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      order.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`end ${name}`);
      running--;
      return name;
    };
    const runs = await Promise.all([lane.run(job("a", 20)), lane.run(job("b", 5)), lane.run(job("c", 1))]);
    expect(maxRunning).toBe(1);
    expect(order).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
    expect(runs.map((r) => r.result)).toEqual(["a", "b", "c"]);
    expect(runs[0]?.wallMs).toBeGreaterThanOrEqual(15);
    expect(runs[2]?.waitMs).toBeGreaterThanOrEqual(runs[0]?.wallMs ?? 0);
    expect(lane.runs).toBe(3);
  });

  it("reports a failing job without breaking the lane", async () => {
    const lane = new ComputeLane();
    const failed = await lane.run(async () => {
      throw new Error("boom");
    });
    expect(failed.ok).toBe(false);
    expect((failed.error as Error).message).toBe("boom");
    expect((await lane.run(async () => 7)).result).toBe(7);
  });
});

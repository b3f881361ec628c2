import { describe, expect, it } from "vitest";
import { ServiceError } from "../../errors";
import { resolveReportRange } from "./report-range";

const T = Date.parse("2025-03-01T00:00:00Z");
const H = 3_600_000;
const range = (hours: number) => ({ from: new Date(T), to: new Date(T + hours * H) });

describe("resolveReportRange", () => {
  it("picks minute buckets up to 3 h, hours up to 8 days, then days", () => {
    expect(resolveReportRange(range(1)).bucket).toBe("minute");
    expect(resolveReportRange(range(3)).bucket).toBe("minute");
    expect(resolveReportRange(range(24)).bucket).toBe("hour");
    expect(resolveReportRange(range(7 * 24)).bucket).toBe("hour");
    expect(resolveReportRange(range(30 * 24)).bucket).toBe("day");
    expect(resolveReportRange(range(366 * 24)).bucket).toBe("day");
  });

  it("keeps an explicit bucket that makes at most 1500 points", () => {
    expect(resolveReportRange(range(24), "minute").bucket).toBe("minute");
    expect(() => resolveReportRange(range(26), "minute")).toThrow(/1560 points/);
    expect(resolveReportRange(range(1), "day").bucket).toBe("day");
  });

  it("refuses empty, reversed and over-long ranges", () => {
    const cases: [{ from: Date; to: Date }, RegExp][] = [
      [range(0), /is the same as/],
      [range(-1), /is after/],
      [range(367 * 24), /367 days long; a report covers at most 366 days/],
      [{ from: new Date(Number.NaN), to: new Date(T) }, /valid start and end/],
    ];
    for (const [r, message] of cases) {
      let caught: unknown;
      try {
        resolveReportRange(r);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ServiceError);
      expect((caught as ServiceError).code).toBe("BAD_REQUEST");
      expect((caught as ServiceError).message).toMatch(message);
    }
  });
});

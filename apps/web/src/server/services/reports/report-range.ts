/**
 * The time range and bucket width of a report. Ranges are half-open ([from, to)), at most 366 days long; `auto`
 * picks minutes up to 3 hours, hours up to 8 days, then days, so a chart has between a few and a few hundred
 * points. An explicit bucket may not produce more than MAX_REPORT_BUCKETS points.
 */
import { REPORT_BUCKET_UNITS, type ReportBucketUnit } from "@edgewatt/db";
import { ServiceError } from "../../errors";

export const REPORT_BUCKETS = ["auto", ...REPORT_BUCKET_UNITS] as const;
export type ReportBucket = (typeof REPORT_BUCKETS)[number];

export const MAX_REPORT_RANGE_DAYS = 366;
export const MAX_REPORT_BUCKETS = 1500;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export const BUCKET_MS: Record<ReportBucketUnit, number> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };

export interface ReportRange {
  from: Date;
  to: Date;
}

export interface ResolvedReportRange extends ReportRange {
  bucket: ReportBucketUnit;
}

/** Checks the range and picks the bucket; throws BAD_REQUEST with a message that says what to change. */
export function resolveReportRange(range: ReportRange, bucket: ReportBucket = "auto"): ResolvedReportRange {
  const { from, to } = range;
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    throw new ServiceError("BAD_REQUEST", "The report range needs a valid start and end date and time.");
  }
  const spanMs = to.getTime() - from.getTime();
  if (spanMs <= 0) {
    throw new ServiceError(
      "BAD_REQUEST",
      `The report range must start before it ends: from ${utc(from)} is ${
        spanMs === 0 ? "the same as" : "after"
      } to ${utc(to)}. Swap the dates or pick a preset range.`,
    );
  }
  if (spanMs > MAX_REPORT_RANGE_DAYS * DAY_MS) {
    throw new ServiceError(
      "BAD_REQUEST",
      `The report range is ${Math.ceil(spanMs / DAY_MS)} days long; a report covers at most ${MAX_REPORT_RANGE_DAYS} days. Choose a shorter range.`,
    );
  }
  const unit = bucket === "auto" ? autoBucket(spanMs) : bucket;
  const buckets = Math.ceil(spanMs / BUCKET_MS[unit]);
  if (buckets > MAX_REPORT_BUCKETS) {
    throw new ServiceError(
      "BAD_REQUEST",
      `${unit} buckets over this range would make ${buckets} points (at most ${MAX_REPORT_BUCKETS}); choose a coarser bucket or a shorter range.`,
    );
  }
  return { from, to, bucket: unit };
}

function utc(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function autoBucket(spanMs: number): ReportBucketUnit {
  if (spanMs <= 3 * HOUR_MS) return "minute";
  if (spanMs <= 8 * DAY_MS) return "hour";
  return "day";
}

/**
 * Input schemas of the report boundaries: the tRPC procedures (dates as Dates, via superjson) and the CSV route
 * (everything a query-string string). The range itself (order, length, bucket count) is checked by the service.
 */
import { z } from "zod";
import { MAX_GRID_INTENSITY_G_PER_KWH } from "./grid-intensity";
import { REPORT_BUCKETS } from "./report-range";

const ZId = (what: string) =>
  z.string().trim().min(1, `${what} must not be empty`).max(64, `${what} is at most 64 characters`);

export const ZReportFilter = z.object({
  groupId: ZId("groupId").optional(),
  deviceId: ZId("deviceId").optional(),
  modelId: ZId("modelId").optional(),
});
export type ReportFilter = z.infer<typeof ZReportFilter>;

export const ZReportBucket = z.enum(REPORT_BUCKETS, {
  message: `bucket must be one of ${REPORT_BUCKETS.join(", ")}`,
});

export const ZGridIntensity = z
  .number({ message: "the grid intensity must be a number of g CO2e per kWh" })
  .min(0, "the grid intensity cannot be negative")
  .max(
    MAX_GRID_INTENSITY_G_PER_KWH,
    `the grid intensity is at most ${MAX_GRID_INTENSITY_G_PER_KWH} g CO2e per kWh (coal-only grids are about 1000)`,
  );

const ZDate = (what: string) => z.date({ message: `${what} must be a date and time` });

export const ZFleetReportInput = z.object({
  range: z.object({ from: ZDate("from"), to: ZDate("to") }),
  filter: ZReportFilter.default({}),
  bucket: ZReportBucket.default("auto"),
  /** Overrides the org's grid intensity for this report only. */
  gridIntensityGPerKwh: ZGridIntensity.optional(),
});
export type FleetReportInput = z.infer<typeof ZFleetReportInput>;

const ZQueryDate = (what: string) =>
  z
    .string({ message: `${what} is required (an ISO 8601 date and time, e.g. 2025-01-31T12:00:00Z)` })
    .transform((s) => new Date(s))
    .pipe(z.date({ message: `${what} must be an ISO 8601 date and time, e.g. 2025-01-31T12:00:00Z` }));

/** GET /api/reports/csv?from=…&to=…[&bucket=…][&groupId=…][&deviceId=…][&modelId=…][&gridIntensity=…] */
export const ZFleetReportQuery = z
  .object({
    from: ZQueryDate("from"),
    to: ZQueryDate("to"),
    bucket: ZReportBucket.default("auto"),
    groupId: ZId("groupId").optional(),
    deviceId: ZId("deviceId").optional(),
    modelId: ZId("modelId").optional(),
    gridIntensity: z
      .string()
      .transform((s) => Number(s))
      .pipe(ZGridIntensity)
      .optional(),
  })
  .transform(
    (q): FleetReportInput => ({
      range: { from: q.from, to: q.to },
      filter: { groupId: q.groupId, deviceId: q.deviceId, modelId: q.modelId },
      bucket: q.bucket,
      gridIntensityGPerKwh: q.gridIntensity,
    }),
  );

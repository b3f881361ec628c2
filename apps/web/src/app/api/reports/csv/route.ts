/**
 * GET /api/reports/csv?from=<ISO>&to=<ISO>[&bucket=auto|minute|hour|day][&groupId=…][&deviceId=…][&modelId=…]
 *   [&gridIntensity=<g CO2e/kWh>]
 * Streams the bucketed series of the fleet report of the session's org as CSV (header row with units; every row
 * names its energy source). Errors: {error:{code,message}} with 400, 401, 403, 503.
 */
import { getSessionClaims } from "@/server/auth";
import { getDb } from "@/server/db";
import { httpErrorResponse } from "@/server/error-mapping";
import { ServiceError } from "@/server/errors";
import { resolveActor } from "@/server/services/auth/resolve-actor";
import { exportFleetReportCsv } from "@/server/services/reports/export-fleet-report-csv";
import { ZFleetReportQuery } from "@/server/services/reports/report-input";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  try {
    const db = getDb();
    const actor = await resolveActor({ db, claims: await getSessionClaims() });
    // Empty parameters (a cleared filter) count as absent.
    const params = Object.fromEntries(
      [...new URL(req.url).searchParams.entries()].filter(([, value]) => value.trim() !== ""),
    );
    const query = ZFleetReportQuery.safeParse(params);
    if (!query.success) {
      throw new ServiceError(
        "BAD_REQUEST",
        `Invalid report parameters: ${query.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}.`,
      );
    }
    const csv = await exportFleetReportCsv({ db, actor, ...query.data });
    return new Response(toStream(csv.lines), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${csv.fileName}"`,
        "cache-control": "no-store",
      },
    });
  } catch (err) {
    return httpErrorResponse("reports.csv", err);
  }
}

function toStream(lines: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

import type { Metadata } from "next";
import { parseReportParams } from "./report-params";
import { ReportsView } from "./reports-view";

export const metadata: Metadata = { title: "Reports" };

/** /reports[?range=1h|24h|7d|custom&from=&to=&groupId=&deviceId=&modelId=&grid=][&print=1] */
export default async function ReportsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const sp = await searchParams;
  return <ReportsView initial={parseReportParams(sp)} print={sp.print === "1"} />;
}

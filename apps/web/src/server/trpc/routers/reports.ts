import { z } from "zod";
import { getFleetReport } from "../../services/reports/get-fleet-report";
import { getReportSettings } from "../../services/reports/get-report-settings";
import { listReportFilters } from "../../services/reports/list-report-filters";
import { ZFleetReportInput, ZGridIntensity } from "../../services/reports/report-input";
import { updateGridIntensity } from "../../services/reports/update-grid-intensity";
import { createTRPCRouter, protectedProcedure, writerProcedure } from "../init";

/** Procedures of the reports domain (services in src/server/services/reports/). */
export const reportsRouter = createTRPCRouter({
  fleet: protectedProcedure
    .input(ZFleetReportInput)
    .query(({ ctx, input }) => getFleetReport({ db: ctx.db, actor: ctx.actor, ...input })),

  filters: protectedProcedure.query(({ ctx }) => listReportFilters({ db: ctx.db, actor: ctx.actor })),

  settings: protectedProcedure.query(({ ctx }) => getReportSettings({ db: ctx.db, actor: ctx.actor })),

  updateGridIntensity: writerProcedure
    .input(z.object({ gridIntensityGPerKwh: ZGridIntensity.nullable() }))
    .mutation(({ ctx, input }) =>
      updateGridIntensity({ db: ctx.db, actor: ctx.actor, gridIntensityGPerKwh: input.gridIntensityGPerKwh }),
    ),
});

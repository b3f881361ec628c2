import { createTRPCRouter } from "../init";

/** Procedures of the reports domain (services in src/server/services/reports/). */
export const reportsRouter = createTRPCRouter({});

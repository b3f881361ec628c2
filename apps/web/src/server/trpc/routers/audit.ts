import { createTRPCRouter } from "../init";

/** Procedures of the audit domain (services in src/server/services/audit/). */
export const auditRouter = createTRPCRouter({});

import { createTRPCRouter } from "../init";

/** Procedures of the team domain (services in src/server/services/team/). */
export const teamRouter = createTRPCRouter({});

import { createTRPCRouter } from "../init";

/** Procedures of the groups domain (services in src/server/services/groups/). */
export const groupsRouter = createTRPCRouter({});

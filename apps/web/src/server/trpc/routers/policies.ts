import { createTRPCRouter } from "../init";

/** Procedures of the policies domain (services in src/server/services/policies/). */
export const policiesRouter = createTRPCRouter({});

import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { createCallerFactory, createTRPCRouter } from "./init";
import { auditRouter } from "./routers/audit";
import { deploymentsRouter } from "./routers/deployments";
import { devicesRouter } from "./routers/devices";
import { groupsRouter } from "./routers/groups";
import { modelsRouter } from "./routers/models";
import { policiesRouter } from "./routers/policies";
import { reportsRouter } from "./routers/reports";
import { teamRouter } from "./routers/team";
import { tokensRouter } from "./routers/tokens";

export const appRouter = createTRPCRouter({
  models: modelsRouter,
  devices: devicesRouter,
  tokens: tokensRouter,
  deployments: deploymentsRouter,
  policies: policiesRouter,
  groups: groupsRouter,
  reports: reportsRouter,
  team: teamRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export const createCaller = createCallerFactory(appRouter);

import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { createCallerFactory, createTRPCRouter } from "./init";
import { deploymentsRouter } from "./routers/deployments";
import { devicesRouter } from "./routers/devices";
import { modelsRouter } from "./routers/models";
import { tokensRouter } from "./routers/tokens";

export const appRouter = createTRPCRouter({
  models: modelsRouter,
  devices: devicesRouter,
  tokens: tokensRouter,
  deployments: deploymentsRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export const createCaller = createCallerFactory(appRouter);

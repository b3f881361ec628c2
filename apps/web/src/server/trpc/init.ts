/**
 * tRPC v11 setup: context from the Auth.js session, superjson, and the one middleware that maps
 * service errors to tRPC codes. Procedures validate input, call one service, and nothing else.
 */
import type { Db } from "@edgewatt/db";
import type { NatsConnection } from "@edgewatt/nats";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import type { SessionClaims } from "../auth/config";
import { logServiceError, toServiceError, trpcCodeFor } from "../error-mapping";
import { ServiceError } from "../errors";
import { type Actor, requireWriter } from "../services/actor";
import { resolveActor } from "../services/auth/resolve-actor";
import type { NatsAuth } from "../services/nats-auth/nats-auth";

export interface TRPCContext {
  claims: SessionClaims | undefined;
  db: Db;
  nats: () => Promise<NatsConnection>;
  /** Per-device NATS credentials (operator mode); absent or null when NATS runs without auth. */
  natsAuth?: () => NatsAuth | null;
  /** The portal's public origin: EDGEWATT_PUBLIC_URL, else the request's. */
  origin: string;
}

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const serviceCode = error.cause instanceof ServiceError ? error.cause.code : null;
    const inputIssues =
      error.code === "BAD_REQUEST" && error.cause instanceof z.ZodError
        ? error.cause.issues.map((i) => ({ path: i.path.join("."), message: i.message }))
        : null;
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, data: { ...data, serviceCode, inputIssues } };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Every procedure: service errors (and package errors) become tRPC errors with user-facing messages. */
const mapServiceErrors = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (result.ok) return result;
  const error = result.error;
  // Input validation and other errors tRPC raised itself already carry the right code.
  if (error.code !== "INTERNAL_SERVER_ERROR") return result;
  const serviceError = toServiceError(error.cause ?? error);
  logServiceError(`trpc:${path}`, serviceError);
  throw new TRPCError({
    code: trpcCodeFor(serviceError.code),
    message: serviceError.message,
    cause: serviceError,
  });
});

export const publicProcedure = t.procedure.use(mapServiceErrors);

/** A signed-in member of the session's org; `ctx.actor` carries user, org (from the session) and role. */
export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const actor: Actor = await resolveActor({ db: ctx.db, claims: ctx.claims });
  return next({ ctx: { ...ctx, actor } });
});

/** Mutations: viewers can read but not change anything. Services check again; this fails fast. */
export const writerProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  requireWriter(ctx.actor, "make changes in this organization");
  return next();
});

/** Builds the tRPC context for a request: the verified session's claims and the server singletons. */
import { serverEnv } from "../../env";
import { auth } from "../auth";
import { getDb } from "../db";
import { getNats, getNatsAuth } from "../nats";
import type { TRPCContext } from "./init";

export async function createTRPCContext(opts: { req: Request }): Promise<TRPCContext> {
  const session = await auth();
  return {
    claims: session?.claims,
    db: getDb(),
    nats: getNats,
    natsAuth: getNatsAuth,
    origin: publicOrigin(opts.req),
  };
}

/** EDGEWATT_PUBLIC_URL when set; otherwise the origin the browser used (honouring X-Forwarded-*). */
export function publicOrigin(req: Request): string {
  const configured = serverEnv().publicUrl;
  if (configured) return configured;
  const url = new URL(req.url);
  const host =
    req.headers.get("x-forwarded-host")?.split(",")[0]?.trim() || req.headers.get("host") || url.host;
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || url.protocol.replace(/:$/, "");
  return `${proto}://${host}`;
}

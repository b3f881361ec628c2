/**
 * The edge-safe part of the Auth.js configuration: session strategy, pages and the callbacks that move
 * our claims between the sign-in result, the JWT and the session. No database, no Node-only modules:
 * the middleware imports this. The full configuration (providers, adapter) is in `./index.ts`.
 */
import { ROLES } from "@edgewatt/protocol";
import type { NextAuthConfig } from "next-auth";
import { z } from "zod";
import { authEnv } from "../../env";

/** What the portal keeps in the session token besides Auth.js' own fields. */
export const ZSessionClaims = z.object({
  userId: z.string().min(1),
  orgId: z.string().min(1),
  orgName: z.string(),
  role: z.enum(ROLES),
});
export type SessionClaims = z.infer<typeof ZSessionClaims>;

declare module "next-auth" {
  interface User {
    orgId?: string;
    orgName?: string;
    role?: SessionClaims["role"];
  }
  interface Session {
    claims?: SessionClaims;
    /**
     * The signed-in user even without an org: someone admitted by single sign-on on the strength of a
     * pending invitation, before accepting it. Portal pages still need `claims`.
     */
    userId?: string;
  }
}

/** Pages that signed-out visitors may open (the middleware lets them through). */
export function isPublicPath(pathname: string): boolean {
  return (
    pathname === "/signin" ||
    pathname === "/signup" ||
    pathname.startsWith("/signup/") ||
    pathname.startsWith("/invite/")
  );
}

const SESSION_MAX_AGE_S = 12 * 60 * 60;

export function edgeAuthConfig(): NextAuthConfig {
  return {
    secret: authEnv().authSecret,
    // Self-hosted behind whatever proxy the operator runs: trust the Host / X-Forwarded-Host headers.
    trustHost: true,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/signin" },
    providers: [],
    callbacks: {
      /** Middleware guard: anything it matches needs a session with our claims, else → /signin. */
      authorized({ auth, request }) {
        return isPublicPath(request.nextUrl.pathname) || auth?.claims !== undefined;
      },
      jwt({ token, user }) {
        if (user) {
          // Sign-in: copy the claims authorize() returned into the token. (Single sign-on and org
          // switches are handled by the full configuration's jwt callback, in ./index.ts.)
          token.userId = user.id;
          token.orgId = user.orgId;
          token.orgName = user.orgName;
          token.role = user.role;
        }
        return token;
      },
      session({ session, token }) {
        const claims = ZSessionClaims.safeParse(token);
        if (claims.success) session.claims = claims.data;
        if (typeof token.userId === "string") session.userId = token.userId;
        return session;
      },
    },
  };
}

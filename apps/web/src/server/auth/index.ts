/**
 * Auth.js v5, full configuration: Credentials (email + password) and, when EDGEWATT_OIDC_* is set, one
 * enterprise single sign-on provider (./oidc.ts), over JWT sessions, with the Drizzle adapter persisting
 * SSO accounts. Configured lazily (per request) so nothing reads the environment or opens the database at
 * build time.
 */
import { DrizzleAdapter } from "@auth/drizzle-adapter";
import { newId } from "@edgewatt/db";
import { accounts, sessions, users, verificationTokens } from "@edgewatt/db/schema";
import NextAuth, { type Account, CredentialsSignin, type Profile, type User } from "next-auth";
import type { Adapter } from "next-auth/adapters";
import type { JWT } from "next-auth/jwt";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { accessEnv } from "../../env";
import { getDb } from "../db";
import { isServiceError } from "../errors";
import { authenticateUser } from "../services/auth/authenticate-user";
import { MAX_PASSWORD_LENGTH } from "../services/auth/password";
import { SignInLimiter } from "../services/auth/sign-in-limiter";
import { checkSsoSignIn } from "../services/team/check-sso-sign-in";
import { completeSsoSignIn } from "../services/team/complete-sso-sign-in";
import { findSessionOrg } from "../services/team/session-org";
import { edgeAuthConfig, type SessionClaims } from "./config";
import { ssoProviders } from "./oidc";

/** Codes the sign-in form turns into messages (Auth.js forwards `code` to the caller of signIn). */
export const SIGNIN_ERROR_CODES = ["invalid_credentials", "rate_limited", "no_organization"] as const;
export type SigninErrorCode = (typeof SIGNIN_ERROR_CODES)[number];

class SigninFailed extends CredentialsSignin {
  constructor(code: SigninErrorCode) {
    super();
    this.code = code;
  }
}

const ZCredentials = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});

const globalForLimiter = globalThis as typeof globalThis & { __edgewattSignInLimiter?: SignInLimiter };
function signInLimiter(): SignInLimiter {
  globalForLimiter.__edgewattSignInLimiter ??= new SignInLimiter();
  return globalForLimiter.__edgewattSignInLimiter;
}

/** First hop of X-Forwarded-For (set by Next's server and by proxies), else X-Real-IP. */
export function clientIp(headers: Headers): string {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || headers.get("x-real-ip")?.trim() || "unknown";
}

/** The Drizzle adapter, creating SSO users with the portal's own ids (`usr_…`). */
function portalAdapter(): Adapter {
  const adapter = DrizzleAdapter(getDb(), {
    usersTable: users,
    accountsTable: accounts,
    sessionsTable: sessions,
    verificationTokensTable: verificationTokens,
  });
  return { ...adapter, createUser: (user) => adapter.createUser!({ ...user, id: newId("usr") }) };
}

/**
 * Single sign-on gate, before any account is created or linked: refused sign-ins go back to the sign-in
 * page with a reason the page explains. Credentials sign-ins were checked by authorize() already.
 */
async function signInCallback(params: {
  account?: Account | null;
  profile?: Profile;
}): Promise<boolean | string> {
  if (params.account?.type !== "oidc") return true;
  const verified = params.profile?.email_verified;
  const decision = await checkSsoSignIn({
    db: getDb(),
    email: params.profile?.email,
    emailVerified: typeof verified === "boolean" ? verified : undefined,
  });
  return decision.allowed ? true : `/signin?error=${decision.reason}`;
}

function setClaims(token: JWT, claims: SessionClaims): JWT {
  token.userId = claims.userId;
  token.orgId = claims.orgId;
  token.orgName = claims.orgName;
  token.role = claims.role;
  return token;
}

/**
 * Extends the edge jwt callback with what needs the database: an SSO sign-in picks the user's org (or
 * none yet, for an invited user), and `updateSessionOrg` moves the session to another org of the user's.
 */
async function jwtCallback(params: {
  token: JWT;
  user?: User;
  account?: Account | null;
  trigger?: "signIn" | "signUp" | "update";
  session?: unknown;
}): Promise<JWT> {
  const { token, user, account } = params;
  if (user?.id && account?.type === "oidc") {
    token.userId = user.id;
    const claims = await completeSsoSignIn({ db: getDb(), userId: user.id });
    return claims ? setClaims(token, claims) : token;
  }
  if (params.trigger === "update") {
    const orgId = (params.session as { orgId?: unknown } | undefined)?.orgId;
    if (typeof orgId !== "string" || typeof token.userId !== "string") return token;
    // Never throw here: Auth.js would answer a failed update by clearing the session cookie.
    const claims = await findSessionOrg({ db: getDb(), userId: token.userId, orgId }).catch(() => null);
    return claims ? setClaims(token, claims) : token;
  }
  const edgeJwt = edgeAuthConfig().callbacks?.jwt;
  return edgeJwt ? ((await edgeJwt(params as Parameters<typeof edgeJwt>[0])) ?? token) : token;
}

export const { handlers, auth, signIn, signOut, unstable_update } = NextAuth(() => ({
  ...edgeAuthConfig(),
  logger: {
    // A wrong password is an expected outcome, not a server error: one line instead of a stack trace.
    error(error) {
      if (error instanceof CredentialsSignin) {
        console.warn(
          JSON.stringify({ level: "warn", component: "web", msg: "sign-in refused", code: error.code }),
        );
        return;
      }
      console.error(error);
    },
  },
  adapter: portalAdapter(),
  callbacks: { ...edgeAuthConfig().callbacks, signIn: signInCallback, jwt: jwtCallback },
  providers: [
    Credentials({
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials, request) {
        const parsed = ZCredentials.safeParse(credentials);
        if (!parsed.success) throw new SigninFailed("invalid_credentials");
        try {
          const user = await authenticateUser({
            db: getDb(),
            limiter: signInLimiter(),
            email: parsed.data.email,
            password: parsed.data.password,
            ip: clientIp(request.headers),
          });
          return {
            id: user.userId,
            email: user.email,
            name: user.name,
            orgId: user.orgId,
            orgName: user.orgName,
            role: user.role,
          };
        } catch (err) {
          if (isServiceError(err)) {
            if (err.code === "RATE_LIMITED") throw new SigninFailed("rate_limited");
            if (err.code === "INVALID_CREDENTIALS") throw new SigninFailed("invalid_credentials");
            if (err.code === "FORBIDDEN") throw new SigninFailed("no_organization");
          }
          throw err;
        }
      },
    }),
    ...ssoProviders(accessEnv().oidc),
  ],
}));

/**
 * Moves the signed-in session to another org the user belongs to (re-checked against the memberships
 * table; the session stays where it was when they do not). For server actions and route handlers (it
 * rewrites the cookie); check membership first with services/team/session-org.ts to tell the user why.
 */
export async function updateSessionOrg(orgId: string): Promise<void> {
  await unstable_update({ orgId } as Parameters<typeof unstable_update>[0]);
}

/** The verified session's claims, or undefined when signed out. For server components and routes. */
export async function getSessionClaims(): Promise<SessionClaims | undefined> {
  const session = await auth();
  return session?.claims;
}

/**
 * Auth.js v5, full configuration: Credentials (email + password) over JWT sessions, with the Drizzle
 * adapter's tables in place for providers that persist accounts. Configured lazily (per request) so
 * nothing reads the environment or opens the database at build time.
 */
import { DrizzleAdapter } from "@auth/drizzle-adapter";
import { accounts, sessions, users, verificationTokens } from "@edgewatt/db/schema";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { getDb } from "../db";
import { isServiceError } from "../errors";
import { authenticateUser } from "../services/auth/authenticate-user";
import { MAX_PASSWORD_LENGTH } from "../services/auth/password";
import { SignInLimiter } from "../services/auth/sign-in-limiter";
import { edgeAuthConfig, type SessionClaims } from "./config";

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

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
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
  adapter: DrizzleAdapter(getDb(), {
    usersTable: users,
    accountsTable: accounts,
    sessionsTable: sessions,
    verificationTokensTable: verificationTokens,
  }),
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
  ],
}));

/** The verified session's claims, or undefined when signed out. For server components and routes. */
export async function getSessionClaims(): Promise<SessionClaims | undefined> {
  const session = await auth();
  return session?.claims;
}

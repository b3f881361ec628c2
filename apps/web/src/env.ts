/**
 * The web app's environment, validated with zod. The only module of the app that reads `process.env`.
 *
 * Parsed lazily (on first use, then cached) so that `next build`, which evaluates route modules without a
 * database, does not need run-time variables, and so that the edge middleware only asks for what it uses.
 *
 * - DATABASE_URL               postgres://… of the control-plane database (required).
 * - NATS_URL                   NATS server(s) the web talks to (default nats://127.0.0.1:4222).
 * - EDGEWATT_PUBLIC_NATS_URL   NATS URL handed to enrolling agents (default NATS_URL).
 * - AUTH_SECRET                signs session cookies; required in production (`openssl rand -base64 33`).
 * - EDGEWATT_MAX_UPLOAD_BYTES  largest accepted model upload (default 200 MiB).
 * - EDGEWATT_PUBLIC_URL        the portal's public origin, used in the enroll command shown to users
 *                              (default: the origin of the request).
 * - EDGEWATT_ADMIN_PASSWORD    seed script only: the demo admin's password (default: a fresh random one).
 * - EDGEWATT_NATS_AUTH         `none` (default: NATS without auth, the one-machine default) or `jwt`: NATS in
 *                              operator mode; the portal keeps the operator/account material in the database,
 *                              mints per-device credentials at enrollment and pushes account updates
 *                              (revocations) to the servers. See docs/decisions/0003-per-device-nats-credentials.md.
 * - EDGEWATT_SECRET_KEY        required with EDGEWATT_NATS_AUTH=jwt: the key (>= 32 characters) that seals the
 *                              NATS seeds stored in the database (`openssl rand -base64 33`). Losing it means
 *                              re-creating the NATS trust chain and re-enrolling every device.
 * - EDGEWATT_SIGNUP            `open` (default): anyone can create an account and a new organization at /signup;
 *                              `closed`: only invitations add people.
 * - EDGEWATT_OIDC_ISSUER       enterprise single sign-on through any OpenID Connect provider: the issuer URL,
 * - EDGEWATT_OIDC_CLIENT_ID      exactly as its /.well-known/openid-configuration states it; the client id and secret
 * - EDGEWATT_OIDC_CLIENT_SECRET  registered there with the redirect URI <public URL>/api/auth/callback/sso, and
 * - EDGEWATT_OIDC_NAME           the button label (default "single sign-on"). Set all of the first three or none.
 *                              SSO signs in people who already belong to an org or hold a pending invitation;
 *                              it never creates an org. See src/server/auth/oidc.ts.
 */
import { z } from "zod";

const MIB = 1024 * 1024;
export const DEFAULT_MAX_UPLOAD_BYTES = 200 * MIB;

/** Used outside production only, so `next dev` and tests work without configuration. */
const DEVELOPMENT_AUTH_SECRET = "edgewatt-development-only-auth-secret-never-use-in-production";

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const ZNodeEnv = z.enum(["development", "production", "test"]).catch("development");

const ZAuthEnv = z
  .object({
    NODE_ENV: ZNodeEnv,
    AUTH_SECRET: optionalString,
  })
  .superRefine((e, ctx) => {
    if (e.AUTH_SECRET === undefined && e.NODE_ENV === "production") {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_SECRET"],
        message: "AUTH_SECRET is required in production; generate one with `openssl rand -base64 33`",
      });
    }
    if (e.AUTH_SECRET !== undefined && e.AUTH_SECRET.length < 32) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_SECRET"],
        message: "AUTH_SECRET must be at least 32 characters; generate one with `openssl rand -base64 33`",
      });
    }
  })
  .transform((e) => ({
    nodeEnv: e.NODE_ENV,
    authSecret: e.AUTH_SECRET ?? DEVELOPMENT_AUTH_SECRET,
  }));
export type AuthEnv = z.output<typeof ZAuthEnv>;

const ZUrl = (name: string, protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .every((s) => {
            try {
              return protocols.includes(new URL(s).protocol);
            } catch {
              return false;
            }
          }),
      { message: `${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}` },
    );

const ZServerEnv = z
  .object({
    DATABASE_URL: ZUrl("DATABASE_URL", ["postgres:", "postgresql:"]).describe("control-plane database"),
    NATS_URL: ZUrl("NATS_URL", ["nats:", "tls:", "ws:", "wss:"]).default("nats://127.0.0.1:4222"),
    EDGEWATT_PUBLIC_NATS_URL: ZUrl("EDGEWATT_PUBLIC_NATS_URL", ["nats:", "tls:", "ws:", "wss:"]).optional(),
    EDGEWATT_MAX_UPLOAD_BYTES: z.coerce
      .number()
      .int("EDGEWATT_MAX_UPLOAD_BYTES must be a whole number of bytes")
      .positive()
      .default(DEFAULT_MAX_UPLOAD_BYTES),
    EDGEWATT_PUBLIC_URL: ZUrl("EDGEWATT_PUBLIC_URL", ["http:", "https:"]).optional(),
    EDGEWATT_NATS_AUTH: optionalString.pipe(
      z.enum(["none", "jwt"], { message: "EDGEWATT_NATS_AUTH must be none or jwt" }).default("none"),
    ),
    EDGEWATT_SECRET_KEY: optionalString.pipe(
      z
        .string()
        .min(
          32,
          "EDGEWATT_SECRET_KEY must be at least 32 characters; generate one with `openssl rand -base64 33`",
        )
        .optional(),
    ),
  })
  .superRefine((e, ctx) => {
    if (e.EDGEWATT_NATS_AUTH === "jwt" && e.EDGEWATT_SECRET_KEY === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["EDGEWATT_SECRET_KEY"],
        message:
          "EDGEWATT_SECRET_KEY is required with EDGEWATT_NATS_AUTH=jwt (it seals the NATS seeds in the database); generate one with `openssl rand -base64 33`",
      });
    }
  })
  .transform((e) => ({
    databaseUrl: e.DATABASE_URL,
    natsUrl: e.NATS_URL,
    publicNatsUrl: e.EDGEWATT_PUBLIC_NATS_URL ?? e.NATS_URL,
    maxUploadBytes: e.EDGEWATT_MAX_UPLOAD_BYTES,
    publicUrl: e.EDGEWATT_PUBLIC_URL?.replace(/\/+$/, "") ?? null,
    natsAuth:
      e.EDGEWATT_NATS_AUTH === "jwt" && e.EDGEWATT_SECRET_KEY !== undefined
        ? ({ mode: "jwt", secretKey: e.EDGEWATT_SECRET_KEY } as const)
        : ({ mode: "none" } as const),
  }));
export type ServerEnv = z.output<typeof ZServerEnv>;

const ZSeedEnv = z.object({
  EDGEWATT_ADMIN_PASSWORD: optionalString.pipe(
    z.string().min(8, "EDGEWATT_ADMIN_PASSWORD must be at least 8 characters").optional(),
  ),
});

const ZAccessEnv = z
  .object({
    EDGEWATT_SIGNUP: optionalString.pipe(
      z.enum(["open", "closed"], { message: "EDGEWATT_SIGNUP must be open or closed" }).default("open"),
    ),
    EDGEWATT_OIDC_ISSUER: optionalString.pipe(ZUrl("EDGEWATT_OIDC_ISSUER", ["https:"]).optional()),
    EDGEWATT_OIDC_CLIENT_ID: optionalString,
    EDGEWATT_OIDC_CLIENT_SECRET: optionalString,
    EDGEWATT_OIDC_NAME: optionalString.pipe(
      z.string().max(60, "EDGEWATT_OIDC_NAME is at most 60 characters").optional(),
    ),
  })
  .superRefine((e, ctx) => {
    const required = [
      "EDGEWATT_OIDC_ISSUER",
      "EDGEWATT_OIDC_CLIENT_ID",
      "EDGEWATT_OIDC_CLIENT_SECRET",
    ] as const;
    const set = required.filter((k) => e[k] !== undefined);
    if (set.length > 0 && set.length < required.length) {
      for (const k of required.filter((k) => e[k] === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: `${k} is required when ${set.join(" and ")} ${set.length === 1 ? "is" : "are"} set: single sign-on needs the issuer, the client id and the client secret (or none of them, to turn it off)`,
        });
      }
    }
    if (e.EDGEWATT_OIDC_ISSUER?.includes(",")) {
      ctx.addIssue({
        code: "custom",
        path: ["EDGEWATT_OIDC_ISSUER"],
        message: "EDGEWATT_OIDC_ISSUER is one URL",
      });
    }
  })
  .transform((e) => ({
    signup: e.EDGEWATT_SIGNUP,
    oidc:
      e.EDGEWATT_OIDC_ISSUER !== undefined &&
      e.EDGEWATT_OIDC_CLIENT_ID !== undefined &&
      e.EDGEWATT_OIDC_CLIENT_SECRET !== undefined
        ? {
            // Kept as given: Auth.js (oauth4webapi) requires it to equal the `issuer` of the provider's
            // discovery document exactly, trailing slash included.
            issuer: e.EDGEWATT_OIDC_ISSUER,
            clientId: e.EDGEWATT_OIDC_CLIENT_ID,
            clientSecret: e.EDGEWATT_OIDC_CLIENT_SECRET,
            name: e.EDGEWATT_OIDC_NAME ?? "single sign-on",
          }
        : null,
  }));
/** Who may get in: open or closed sign-up, and the single sign-on provider (null when not configured). */
export type AccessEnv = z.output<typeof ZAccessEnv>;
export type OidcEnv = NonNullable<AccessEnv["oidc"]>;

export class EnvError extends Error {
  override readonly name = "EnvError";
  readonly code = "ENV_INVALID";
}

function parseEnv<T extends z.ZodType>(
  schema: T,
  what: string,
  source: Record<string, string | undefined> = process.env,
): z.output<T> {
  const result = schema.safeParse(source);
  if (!result.success) {
    throw new EnvError(`invalid ${what} environment:\n${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}

let cachedAuth: AuthEnv | undefined;
let cachedServer: ServerEnv | undefined;
let cachedAccess: AccessEnv | undefined;

/** What Auth.js needs; safe to call from the edge middleware. */
export function authEnv(): AuthEnv {
  cachedAuth ??= parseEnv(ZAuthEnv, "auth");
  return cachedAuth;
}

/** Everything the server side of the portal needs. */
export function serverEnv(): ServerEnv {
  cachedServer ??= parseEnv(ZServerEnv, "server");
  return cachedServer;
}

/** Sign-up and single sign-on settings; no database needed. */
export function accessEnv(): AccessEnv {
  cachedAccess ??= parseAccessEnv(process.env);
  return cachedAccess;
}

/** `accessEnv` over a given set of variables (tests). */
export function parseAccessEnv(source: Record<string, string | undefined>): AccessEnv {
  return parseEnv(ZAccessEnv, "sign-up / single sign-on", source);
}

/** The seed script's extra input. */
export function seedEnv(): { adminPassword: string | null } {
  const e = parseEnv(ZSeedEnv, "seed");
  return { adminPassword: e.EDGEWATT_ADMIN_PASSWORD ?? null };
}

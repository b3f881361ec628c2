/**
 * Enterprise single sign-on: one generic OpenID Connect provider for Auth.js v5, built from
 * EDGEWATT_OIDC_* (see env.ts). Auth.js discovers the endpoints from `<issuer>/.well-known/openid-configuration`
 * and runs the authorization-code flow with PKCE; the IdP must allow the redirect URI
 * `<public URL>/api/auth/callback/sso`.
 *
 * Who gets in (enforced by the signIn callback in ./index.ts through services/team/check-sso-sign-in.ts):
 * - an email that already belongs to an org member signs in to that account (emails are linked across
 *   providers: the operator chose to trust this IdP's email claims);
 * - an email with a pending invitation signs in without an org, and joins one by accepting the invitation;
 * - any other email is refused, and nothing is created: SSO never creates an org or joins anyone by itself.
 *
 * Edge-safe: no database, no Node-only modules.
 */
import type { OIDCConfig } from "next-auth/providers";
import type { OidcEnv } from "../../env";

/** Part of the callback URL (`/api/auth/callback/sso`), so it must not change once IdPs are configured. */
export const SSO_PROVIDER_ID = "sso";

/** The standard OIDC claims the portal reads from the ID token. */
export interface OidcProfile extends Record<string, unknown> {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
  picture?: string;
}

/** The Auth.js provider for the configured IdP, or null when single sign-on is not configured. */
export function oidcProvider(oidc: OidcEnv | null): OIDCConfig<OidcProfile> | null {
  if (!oidc) return null;
  return {
    id: SSO_PROVIDER_ID,
    name: oidc.name,
    type: "oidc",
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    clientSecret: oidc.clientSecret,
    authorization: { params: { scope: "openid email profile" } },
    checks: ["pkce", "state", "nonce"],
    // Existing accounts (password users invited earlier) sign in with SSO too. Safe only because the
    // operator configured this one IdP for their organization and trusts its email claim.
    allowDangerousEmailAccountLinking: true,
    profile(profile) {
      return {
        id: profile.sub,
        email: profile.email?.trim().toLowerCase() ?? null,
        name: profile.name ?? profile.preferred_username ?? null,
        image: profile.picture ?? null,
      };
    },
  };
}

/** The providers to add next to Credentials: the SSO one when configured, none otherwise. */
export function ssoProviders(oidc: OidcEnv | null): OIDCConfig<OidcProfile>[] {
  const provider = oidcProvider(oidc);
  return provider ? [provider] : [];
}

/** What the sign-in page shows: the button's label, or null when there is no SSO button. */
export function ssoButton(oidc: OidcEnv | null): { providerId: string; label: string } | null {
  return oidc ? { providerId: SSO_PROVIDER_ID, label: `Sign in with ${oidc.name}` } : null;
}

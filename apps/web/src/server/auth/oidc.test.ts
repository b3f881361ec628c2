import { describe, expect, it } from "vitest";
import { EnvError, parseAccessEnv } from "../../env";
import { oidcProvider, SSO_PROVIDER_ID, ssoButton, ssoProviders } from "./oidc";

const FULL = {
  EDGEWATT_OIDC_ISSUER: "https://login.example.com/realms/acme",
  EDGEWATT_OIDC_CLIENT_ID: "edgewatt-portal",
  EDGEWATT_OIDC_CLIENT_SECRET: "s3cret-value",
};

function envError(source: Record<string, string | undefined>): string {
  try {
    parseAccessEnv(source);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvError);
    return (err as Error).message;
  }
  throw new Error("expected the environment to be refused");
}

describe("single sign-on configuration (EDGEWATT_OIDC_*)", () => {
  it("is off, with sign-up open, when nothing is set (blank values count as unset)", () => {
    expect(parseAccessEnv({})).toEqual({ signup: "open", oidc: null });
    expect(
      parseAccessEnv({ EDGEWATT_OIDC_ISSUER: " ", EDGEWATT_OIDC_CLIENT_ID: "", EDGEWATT_SIGNUP: "" }),
    ).toEqual({ signup: "open", oidc: null });
    expect(ssoProviders(null)).toEqual([]);
    expect(ssoButton(null)).toBeNull();
  });

  it("parses a full configuration into one generic OIDC provider and a sign-in button", () => {
    const env = parseAccessEnv({ ...FULL, EDGEWATT_OIDC_NAME: "Acme SSO" });
    expect(env.oidc).toEqual({
      issuer: "https://login.example.com/realms/acme",
      clientId: "edgewatt-portal",
      clientSecret: "s3cret-value",
      name: "Acme SSO",
    });
    const providers = ssoProviders(env.oidc);
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({
      id: SSO_PROVIDER_ID,
      name: "Acme SSO",
      type: "oidc",
      issuer: "https://login.example.com/realms/acme",
      clientId: "edgewatt-portal",
      clientSecret: "s3cret-value",
      checks: ["pkce", "state", "nonce"],
    });
    expect(ssoButton(env.oidc)).toEqual({ providerId: "sso", label: "Sign in with Acme SSO" });
  });

  it("keeps the issuer exactly as given and names the button by default", () => {
    const env = parseAccessEnv({ ...FULL, EDGEWATT_OIDC_ISSUER: "https://acme.eu.auth0.com/" });
    expect(env.oidc?.issuer).toBe("https://acme.eu.auth0.com/");
    expect(ssoButton(env.oidc)?.label).toBe("Sign in with single sign-on");
  });

  it("maps the ID token's claims to the account Auth.js stores", () => {
    const provider = oidcProvider(parseAccessEnv(FULL).oidc)!;
    const user = provider.profile!(
      { sub: "abc-123", email: " Ann@Example.COM ", name: "Ann", picture: "https://x/y.png" },
      {},
    );
    expect(user).toEqual({ id: "abc-123", email: "ann@example.com", name: "Ann", image: "https://x/y.png" });
    expect(provider.profile!({ sub: "s", preferred_username: "ann" }, {})).toMatchObject({
      email: null,
      name: "ann",
    });
  });

  it("refuses a partial configuration, naming what is missing", () => {
    const message = envError({ EDGEWATT_OIDC_ISSUER: FULL.EDGEWATT_OIDC_ISSUER });
    expect(message).toMatch(/EDGEWATT_OIDC_CLIENT_ID is required when EDGEWATT_OIDC_ISSUER is set/);
    expect(message).toMatch(/EDGEWATT_OIDC_CLIENT_SECRET is required/);
    expect(envError({ ...FULL, EDGEWATT_OIDC_CLIENT_SECRET: undefined })).toMatch(
      /EDGEWATT_OIDC_CLIENT_SECRET is required when EDGEWATT_OIDC_ISSUER and EDGEWATT_OIDC_CLIENT_ID are set/,
    );
  });

  it("refuses an issuer that is not an https URL", () => {
    expect(envError({ ...FULL, EDGEWATT_OIDC_ISSUER: "login.example.com" })).toMatch(
      /EDGEWATT_OIDC_ISSUER must be a URL starting with https:\/\//,
    );
    expect(envError({ ...FULL, EDGEWATT_OIDC_ISSUER: "http://login.example.com" })).toMatch(/https:/);
  });
});

describe("sign-up setting (EDGEWATT_SIGNUP)", () => {
  it("is open by default and can be closed", () => {
    expect(parseAccessEnv({}).signup).toBe("open");
    expect(parseAccessEnv({ EDGEWATT_SIGNUP: "closed" }).signup).toBe("closed");
    expect(envError({ EDGEWATT_SIGNUP: "maybe" })).toMatch(/EDGEWATT_SIGNUP must be open or closed/);
  });
});

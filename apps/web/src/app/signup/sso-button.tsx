import { accessEnv } from "@/env";
import { ssoButton } from "@/server/auth/oidc";
import { ssoSignInAction } from "./sso-actions";

/** "Sign in with <IdP>", only when EDGEWATT_OIDC_* configures single sign-on; nothing otherwise. */
export function SsoButton({ callbackUrl }: { callbackUrl: string }) {
  const button = ssoButton(accessEnv().oidc);
  if (!button) return null;
  return (
    <form action={ssoSignInAction.bind(null, callbackUrl)}>
      <button
        type="submit"
        className="inline-flex w-full items-center justify-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-500"
        data-testid="sso-signin"
      >
        {button.label}
      </button>
    </form>
  );
}

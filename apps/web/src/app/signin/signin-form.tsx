"use client";

import { useActionState, useId } from "react";
import { Button, ErrorBanner, Field, Input } from "@/components/ui";
import { type SignInState, signInAction } from "./actions";

export function SignInForm({ callbackUrl }: { callbackUrl: string }) {
  const emailId = useId();
  const passwordId = useId();
  const [state, action, pending] = useActionState<SignInState, FormData>(signInAction, {
    error: null,
    email: "",
  });
  return (
    <form action={action} className="flex flex-col gap-4">
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      {state.error ? <ErrorBanner message={state.error} /> : null}
      <Field id={emailId} label="Email">
        <Input
          id={emailId}
          name="email"
          type="email"
          autoComplete="username"
          required
          autoFocus
          defaultValue={state.email}
          data-testid="signin-email"
        />
      </Field>
      <Field id={passwordId} label="Password">
        <Input
          id={passwordId}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          data-testid="signin-password"
        />
      </Field>
      <Button type="submit" busy={pending} data-testid="signin-submit">
        {pending ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}

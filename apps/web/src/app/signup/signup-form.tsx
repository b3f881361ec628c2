"use client";

import { useActionState, useId } from "react";
import { Button, ErrorBanner, Field, Input } from "@/components/ui";
import { type SignUpState, signUpAction } from "./actions";

/** `minPasswordLength` comes from the server (the password service), so the hint matches its rule. */
export function SignUpForm({ minPasswordLength }: { minPasswordLength: number }) {
  const nameId = useId();
  const emailId = useId();
  const passwordId = useId();
  const orgId = useId();
  const [state, action, pending] = useActionState<SignUpState, FormData>(signUpAction, {
    error: null,
    fields: {},
    values: { name: "", email: "", orgName: "" },
  });
  const describedBy = (id: string, key: string) => (state.fields[key] ? `${id}-error` : `${id}-hint`);
  return (
    <form action={action} className="flex flex-col gap-4" aria-label="Create an account">
      {state.error ? <ErrorBanner message={state.error} /> : null}
      <Field id={nameId} label="Your name" error={state.fields.name}>
        <Input
          id={nameId}
          name="name"
          autoComplete="name"
          required
          maxLength={100}
          autoFocus
          defaultValue={state.values.name}
          aria-invalid={state.fields.name ? true : undefined}
          aria-describedby={state.fields.name ? `${nameId}-error` : undefined}
          data-testid="signup-name"
        />
      </Field>
      <Field id={emailId} label="Work email" error={state.fields.email}>
        <Input
          id={emailId}
          name="email"
          type="email"
          autoComplete="email"
          required
          maxLength={320}
          defaultValue={state.values.email}
          aria-invalid={state.fields.email ? true : undefined}
          aria-describedby={state.fields.email ? `${emailId}-error` : undefined}
          data-testid="signup-email"
        />
      </Field>
      <Field
        id={passwordId}
        label="Password"
        hint={`At least ${minPasswordLength} characters.`}
        error={state.fields.password}
      >
        <Input
          id={passwordId}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={minPasswordLength}
          aria-invalid={state.fields.password ? true : undefined}
          aria-describedby={describedBy(passwordId, "password")}
          data-testid="signup-password"
        />
      </Field>
      <Field
        id={orgId}
        label="Organization name"
        hint="Your team's workspace; you become its owner and can invite others."
        error={state.fields.orgName}
      >
        <Input
          id={orgId}
          name="orgName"
          autoComplete="organization"
          required
          maxLength={80}
          defaultValue={state.values.orgName}
          aria-invalid={state.fields.orgName ? true : undefined}
          aria-describedby={describedBy(orgId, "orgName")}
          data-testid="signup-org"
        />
      </Field>
      <Button type="submit" busy={pending} data-testid="signup-submit">
        {pending ? "Creating your account…" : "Create account"}
      </Button>
    </form>
  );
}

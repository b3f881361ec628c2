"use client";

import { useActionState, useId } from "react";
import { Button, ErrorBanner, Field, Input } from "@/components/ui";
import type { InviteActionState } from "./actions";

type Action = (prev: InviteActionState, formData: FormData) => Promise<InviteActionState>;

const INITIAL: InviteActionState = { error: null, fields: {}, name: "" };

/** For a signed-in user whose email the invitation names. */
export function AcceptForm({ action, orgName }: { action: Action; orgName: string }) {
  const [state, formAction, pending] = useActionState(action, INITIAL);
  return (
    <form action={formAction} className="flex flex-col gap-3" aria-label={`Join ${orgName}`}>
      {state.error ? <ErrorBanner message={state.error} /> : null}
      <Button type="submit" busy={pending} data-testid="invite-accept">
        {pending ? "Joining…" : `Join ${orgName}`}
      </Button>
    </form>
  );
}

/** For a visitor without an account: the account is created for the invited email. */
export function InviteSignUpForm({
  action,
  email,
  minPasswordLength,
}: {
  action: Action;
  email: string;
  minPasswordLength: number;
}) {
  const emailId = useId();
  const nameId = useId();
  const passwordId = useId();
  const [state, formAction, pending] = useActionState(action, INITIAL);
  return (
    <form action={formAction} className="flex flex-col gap-4" aria-label="Create your account and join">
      {state.error ? <ErrorBanner message={state.error} /> : null}
      <Field id={emailId} label="Email" hint="The invitation is for this address.">
        <Input
          id={emailId}
          type="email"
          value={email}
          readOnly
          aria-readonly="true"
          aria-describedby={`${emailId}-hint`}
          autoComplete="username"
          className="bg-slate-50"
        />
      </Field>
      <Field id={nameId} label="Your name" error={state.fields.name}>
        <Input
          id={nameId}
          name="name"
          autoComplete="name"
          required
          maxLength={100}
          autoFocus
          defaultValue={state.name}
          aria-invalid={state.fields.name ? true : undefined}
          aria-describedby={state.fields.name ? `${nameId}-error` : undefined}
          data-testid="invite-name"
        />
      </Field>
      <Field
        id={passwordId}
        label="Choose a password"
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
          aria-describedby={state.fields.password ? `${passwordId}-error` : `${passwordId}-hint`}
          data-testid="invite-password"
        />
      </Field>
      <Button type="submit" busy={pending} data-testid="invite-signup-submit">
        {pending ? "Creating your account…" : "Create account and join"}
      </Button>
    </form>
  );
}

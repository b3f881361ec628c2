/** The fields the sign-up and invitation pages share, validated in their server actions. */
import { z } from "zod";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "@/server/services/auth/password";

export const ZPersonName = z
  .string()
  .trim()
  .min(1, "Enter your name.")
  .max(100, "A name is at most 100 characters.");

export const ZNewPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH, `Use at most ${MAX_PASSWORD_LENGTH} characters.`);

export const ZSignUpForm = z.object({
  name: ZPersonName,
  email: z.email("Enter a valid email address, like ann@example.com.").max(320, "That email is too long."),
  password: ZNewPassword,
  orgName: z
    .string()
    .trim()
    .min(2, "Enter your organization's name (at least 2 characters).")
    .max(80, "An organization name is at most 80 characters."),
});

export const ZInviteSignUpForm = z.object({ name: ZPersonName, password: ZNewPassword });

/** Field → first message, for showing beside each input. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "");
    out[key] ??= issue.message;
  }
  return out;
}

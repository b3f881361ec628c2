/** The network-cut test's one knob, read and checked in one place. */
import { z } from "zod";

const ZNetcutEnv = z.object({
  /** How long the network stays cut (default 10 minutes, the figure); 20000 for quick iterations. */
  EDGEWATT_NETCUT_MS: z.coerce.number().int().min(6000).max(3_600_000).default(600_000),
});

export type NetcutEnv = z.infer<typeof ZNetcutEnv>;

export function readNetcutEnv(vars: NodeJS.ProcessEnv = process.env): NetcutEnv {
  const parsed = ZNetcutEnv.safeParse({ EDGEWATT_NETCUT_MS: vars.EDGEWATT_NETCUT_MS || undefined });
  if (!parsed.success) {
    throw new Error(
      `EDGEWATT_NETCUT_MS must be a whole number of milliseconds between 6000 and 3600000, got "${vars.EDGEWATT_NETCUT_MS}"`,
    );
  }
  return parsed.data;
}

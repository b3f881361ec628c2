/**
 * Identities of the simulator's virtual devices: `<state dir>/sim/<index>/identity.json`, one per device, enrolled
 * through the portal's real enrollment endpoint (the same call as `edgewatt-agent enroll`) the first time and
 * reused on every later run. A token spends one use per device enrolled, so enrolling N new devices needs a token
 * with N uses left; the devices enrolled before it ran out are kept.
 */
import { join } from "node:path";
import { enrollDevice } from "../enroll/enroll-device";
import { AgentError } from "../errors";
import { findIdentity, type Identity } from "../state/identity";

export function simRoot(stateDir: string): string {
  return join(stateDir, "sim");
}

/** The state directory of virtual device `index` (its identity and its outbox). */
export function simDeviceDir(stateDir: string, index: number): string {
  return join(simRoot(stateDir), String(index));
}

export interface EnsureSimIdentitiesOptions {
  stateDir: string;
  devices: number;
  /** Portal URL and enrollment token for devices without an identity yet. */
  server?: string | undefined;
  token?: string | undefined;
  /** Enrollments in flight at once (default 4). */
  concurrency?: number;
  /** Progress (one line per enrolled device batch). */
  progress?: (line: string) => void;
}

export interface SimIdentities {
  identities: Identity[];
  /** How many were enrolled by this call. */
  enrolled: number;
  reused: number;
}

/** Loads the identity of every virtual device 0..N-1, enrolling the missing ones. */
export async function ensureSimIdentities(opts: EnsureSimIdentitiesOptions): Promise<SimIdentities> {
  const found = await Promise.all(
    Array.from({ length: opts.devices }, (_, i) => findIdentity(simDeviceDir(opts.stateDir, i))),
  );
  const missing = found.flatMap((id, i) => (id ? [] : [i]));
  if (missing.length > 0 && (!opts.server || !opts.token)) {
    throw new AgentError(
      "NOT_ENROLLED",
      `${missing.length} of ${opts.devices} virtual devices have no identity in ${simRoot(opts.stateDir)} ` +
        `(first: ${missing[0]}) — pass --server <portal URL> --token <token with ≥ ${missing.length} uses> to enroll them`,
    );
  }
  const identities = found;
  let enrolled = 0;
  const stop: { exhausted: AgentError | null } = { exhausted: null };
  const queue = [...missing];
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined && !stop.exhausted; i = queue.shift()) {
      try {
        const { identity } = await enrollDevice({
          server: opts.server as string,
          token: opts.token as string,
          name: `sim-${String(i).padStart(4, "0")}`,
          stateDir: simDeviceDir(opts.stateDir, i),
          meters: ["simulated"],
        });
        identities[i] = identity;
        enrolled++;
        if (enrolled % 50 === 0) opts.progress?.(`enrolled ${enrolled} of ${missing.length} virtual devices`);
      } catch (err) {
        if (
          err instanceof AgentError &&
          err.code === "ENROLLMENT_REFUSED" &&
          /\[TOKEN_EXHAUSTED\]/.test(err.message)
        ) {
          stop.exhausted ??= err;
          return;
        }
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, missing.length) }, worker));
  if (stop.exhausted) {
    const left = missing.length - enrolled;
    throw new AgentError(
      "ENROLLMENT_REFUSED",
      `the enrollment token ran out after enrolling ${enrolled} of the ${missing.length} virtual devices that needed ` +
        `an identity (${opts.devices} requested); ${left} still need one — create a token with at least ${left} uses ` +
        `(or ${opts.devices} for a fresh state dir) and run simulate again; the ${enrolled} enrolled now are kept ` +
        `in ${simRoot(opts.stateDir)}`,
      { cause: stop.exhausted },
    );
  }
  return {
    identities: identities as Identity[],
    enrolled,
    reused: opts.devices - missing.length,
  };
}

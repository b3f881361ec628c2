/**
 * A device may only report for itself: the org and device in the subject it published on (which NATS
 * permissions tie to its credentials) must be the ones the message claims.
 */
import { parseDeviceSubject } from "@edgewatt/protocol";

export type IdentityCheck = { ok: true } | { ok: false; reason: string };

export function checkDeviceIdentity(
  subject: string,
  claimed: { orgId: string; deviceId: string },
): IdentityCheck {
  const parsed = parseDeviceSubject(subject);
  if (!parsed) return { ok: false, reason: `subject ${subject} is not a device subject` };
  if (parsed.org !== claimed.orgId || parsed.device !== claimed.deviceId) {
    return {
      ok: false,
      reason:
        `message published on ${subject} (org ${parsed.org}, device ${parsed.device}) claims ` +
        `org ${claimed.orgId}, device ${claimed.deviceId}; a device may only report for itself`,
    };
  }
  return { ok: true };
}

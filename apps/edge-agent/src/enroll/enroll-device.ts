/**
 * Enrollment: trade a one-time token for a device identity at the portal's POST /api/agent/enroll.
 * Every failure becomes an AgentError whose message tells the operator what to do.
 *
 * The agent generates its own NATS user key pair and sends only the public key. A portal running NATS in
 * operator mode answers with a user JWT for that key; the agent stores it with its seed in identity.json.
 */
import { arch, cpus, hostname, platform, totalmem } from "node:os";
import { createNkeyPair, decodeUserJwt } from "@edgewatt/nats/auth";
import {
  type EnergySource,
  type EnrollmentRequest,
  ZApiError,
  ZEnrollmentResponse,
} from "@edgewatt/protocol";
import { AgentError, errorMessage } from "../errors";
import { findIdentity, type Identity, writeIdentity } from "../state/identity";
import { AGENT_VERSION } from "../version";

export const ENROLL_PATH = "/api/agent/enroll";

export interface EnrollDeviceOptions {
  server: string;
  token: string;
  name?: string | undefined;
  stateDir: string;
  /** Replace an existing identity. */
  force?: boolean;
  /** Meters this device can report with (sent to the portal). */
  meters: EnergySource[];
  timeoutMs?: number;
}

export interface EnrollDeviceResult {
  identity: Identity;
  identityPath: string;
}

export async function enrollDevice(opts: EnrollDeviceOptions): Promise<EnrollDeviceResult> {
  const server = parseServerUrl(opts.server);
  const existing = await findIdentity(opts.stateDir).catch((err: unknown) => {
    // A corrupt identity may be replaced with --force; without it the operator must see the problem.
    if (opts.force) return null;
    throw err;
  });
  if (existing && !opts.force) {
    throw new AgentError(
      "ALREADY_ENROLLED",
      `already enrolled as "${existing.deviceName}" (${existing.deviceId}, org ${existing.orgId}) with ${existing.server} — pass --force to enroll again`,
    );
  }

  const natsKey = createNkeyPair("user");
  const request: EnrollmentRequest = {
    token: opts.token,
    ...(opts.name ? { name: opts.name } : {}),
    agentVersion: AGENT_VERSION,
    platform: {
      os: platform(),
      arch: arch(),
      hostname: hostname(),
      cpus: cpus().length || 1,
      memBytes: totalmem(),
    },
    meters: opts.meters,
    natsPublicKey: natsKey.publicKey,
  };
  // The portal may live under a path prefix; keep it.
  const base = server.toString().replace(/\/+$/, "");
  const url = `${base}${ENROLL_PATH}`;

  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
      redirect: "follow",
    });
  } catch (cause) {
    throw new AgentError(
      "SERVER_UNREACHABLE",
      `cannot reach ${base} (${networkReason(cause)}) — is the portal running and is --server its URL?`,
      { cause },
    );
  }

  const text = await res.text().catch(() => "");
  const body = parseJson(text);
  const notPortal = (why: string) =>
    new AgentError("NOT_A_PORTAL", `${base} does not look like an EdgeWatt portal (${why}) — check --server`);

  if (!res.ok) {
    const apiError = body === undefined ? null : ZApiError.safeParse(body);
    if (apiError?.success) {
      const { code, message } = apiError.data.error;
      throw new AgentError("ENROLLMENT_REFUSED", `enrollment refused by ${base}: ${message} [${code}]`);
    }
    throw notPortal(`POST ${ENROLL_PATH} answered HTTP ${res.status} ${describeBody(res, body)}`);
  }
  if (body === undefined)
    throw notPortal(`POST ${ENROLL_PATH} answered HTTP ${res.status} ${describeBody(res, body)}`);
  const parsed = ZEnrollmentResponse.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw notPortal(
      `unexpected enrollment response: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
    );
  }

  const credentials = pairCredentials(parsed.data.nats.credentials, natsKey, base);
  const identity: Identity = {
    ...parsed.data,
    nats: { ...parsed.data.nats, ...(credentials ? { credentials } : {}) },
    server: base,
    enrolledAt: new Date().toISOString(),
    agentVersion: AGENT_VERSION,
    natsUserSeed: natsKey.seed,
  };
  const identityPath = await writeIdentity(opts.stateDir, identity);
  return { identity, identityPath };
}

/**
 * The credentials to connect with: the portal's JWT for this device's own key, with the seed the agent kept.
 * (A portal that generated the key itself sends the seed along; then that pair is used as is.)
 */
export function pairCredentials(
  issued: { jwt: string; seed?: string | undefined } | undefined,
  key: { publicKey: string; seed: string },
  base: string,
): { jwt: string; seed: string } | undefined {
  if (!issued) return undefined;
  if (issued.seed) return { jwt: issued.jwt, seed: issued.seed };
  let subject: string;
  try {
    subject = decodeUserJwt(issued.jwt).publicKey;
  } catch (cause) {
    throw new AgentError(
      "NOT_A_PORTAL",
      `${base} answered with NATS credentials that are not a valid user JWT`,
      {
        cause,
      },
    );
  }
  if (subject !== key.publicKey) {
    throw new AgentError(
      "NOT_A_PORTAL",
      `${base} issued NATS credentials for another key (${subject}) than this device's (${key.publicKey})`,
    );
  }
  return { jwt: issued.jwt, seed: key.seed };
}

function parseServerUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AgentError(
      "USAGE",
      `--server "${value}" is not a URL — pass the portal's address, e.g. http://localhost:3000`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AgentError("USAGE", `--server must be an http:// or https:// URL, got "${value}"`);
  }
  url.search = "";
  url.hash = "";
  return url;
}

export function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function describeBody(res: Response, body: unknown): string {
  const type = res.headers.get("content-type") ?? "no content type";
  return body === undefined ? `with a non-JSON body (${type})` : "with an unexpected JSON body";
}

/** The useful part of an undici fetch failure: ECONNREFUSED, ENOTFOUND, a timeout… */
export function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "timed out";
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? errorMessage(err);
}

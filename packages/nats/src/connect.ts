import { readFile } from "node:fs/promises";
import { Socket } from "node:net";
import { connect, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { EdgewattNatsError } from "./errors";

export type NatsCredentials = { jwt: string; seed?: string | undefined };

export interface ConnectOptions {
  servers: string | string[];
  name: string;
  credentials?: NatsCredentials | undefined;
  /**
   * Prefix of this connection's reply subjects (default `_INBOX`). A device's user JWT only lets it subscribe
   * to its own inbox prefix; when this is unset and `credentials` carry such a JWT, the prefix is taken from it.
   */
  inboxPrefix?: string | undefined;
  /** Keep reconnecting forever (agents) or give up after the default attempts (CLIs, tests). */
  reconnectForever?: boolean;
  timeoutMs?: number;
}

/** Connects to NATS, turning low-level failures into an error that says what to check. */
export async function connectNats(opts: ConnectOptions): Promise<NatsConnection> {
  const servers = Array.isArray(opts.servers) ? opts.servers : opts.servers.split(",").map((s) => s.trim());
  const inboxPrefix =
    opts.inboxPrefix ?? (opts.credentials ? inboxPrefixFromJwt(opts.credentials.jwt) : undefined);
  try {
    return await connect({
      servers,
      name: opts.name,
      timeout: opts.timeoutMs ?? 5000,
      maxReconnectAttempts: opts.reconnectForever ? -1 : 10,
      reconnectTimeWait: 1000,
      ...(inboxPrefix ? { inboxPrefix } : {}),
      ...(opts.credentials
        ? {
            authenticator: jwtAuthenticator(
              opts.credentials.jwt,
              opts.credentials.seed ? new TextEncoder().encode(opts.credentials.seed) : undefined,
            ),
          }
        : {}),
    });
  } catch (cause) {
    const auth = /authorization|authentication|user authentication/i.test(String((cause as Error).message));
    throw new EdgewattNatsError(
      "CONNECT_FAILED",
      `cannot connect to NATS at ${servers.join(", ")}: ${(cause as Error).message}. ` +
        (auth
          ? "The server refused these credentials: they may have been revoked or rotated; enroll again or rotate them."
          : "Check that nats-server is running (with -js) and that NATS_URL points at it."),
      { cause },
    );
  }
}

/**
 * Whether any of `servers` answers with a NATS INFO line within `timeoutMs`. The socket is always destroyed.
 *
 * Long-running clients call this before `connectNats` when the network may be black-holed: a nats.js connect
 * that times out can leave its socket behind, and when the network comes back that orphan completes its
 * handshake and keeps the process alive (nats-io/nats.js#64). A probe that sees the server first makes the
 * real connect quick; one that times out costs nothing.
 */
export async function probeNats(servers: string | string[], timeoutMs = 5000): Promise<boolean> {
  const list = Array.isArray(servers) ? servers : servers.split(",").map((s) => s.trim());
  for (const server of list) {
    const url = new URL(server.includes("://") ? server : `nats://${server}`);
    const host = url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
    const port = Number(url.port || 4222);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      const done = (result: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      socket.once("error", () => done(false));
      socket.once("close", () => done(false));
      socket.once("data", (chunk: Buffer) => done(chunk.subarray(0, 5).toString("latin1") === "INFO "));
      socket.connect(port, host);
    });
    if (ok) return true;
  }
  return false;
}

const INBOX_PERMISSION = /^(_INBOX_[A-Za-z0-9_-]{1,128})\.>$/;

/**
 * The inbox prefix a user JWT confines its holder to: the one `_INBOX_<id>.>` entry of its subscribe allow
 * list (device credentials carry exactly one), else undefined. Reads the claims without verifying them; the
 * server does that.
 */
export function inboxPrefixFromJwt(jwt: string): string | undefined {
  const payload = jwt.split(".")[1];
  if (!payload) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  const allow = (claims as { nats?: { sub?: { allow?: unknown } } }).nats?.sub?.allow;
  if (!Array.isArray(allow)) return undefined;
  const prefixes = allow.flatMap((s) => {
    const m = typeof s === "string" ? INBOX_PERMISSION.exec(s) : null;
    return m?.[1] ? [m[1]] : [];
  });
  return prefixes.length === 1 ? prefixes[0] : undefined;
}

/** Reads a `.creds` file (the user JWT and its nkey seed, as `nsc` and EdgeWatt's launcher write them). */
export async function readCredentialsFile(path: string): Promise<NatsCredentials> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new EdgewattNatsError(
      "INVALID_CREDENTIALS_FILE",
      `cannot read the NATS credentials file ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return parseCredentials(text, path);
}

/** Parses the text of a `.creds` file. */
export function parseCredentials(text: string, where = "the credentials"): NatsCredentials {
  const block = (label: string) =>
    new RegExp(`-{3,}BEGIN ${label}-{3,}\\s*\\n\\s*(\\S+)\\s*\\n\\s*-{3,}END ${label}-{3,}`).exec(text)?.[1];
  const jwt = block("NATS USER JWT");
  const seed = block("USER NKEY SEED");
  if (!jwt || !seed || !seed.startsWith("SU")) {
    throw new EdgewattNatsError(
      "INVALID_CREDENTIALS_FILE",
      `${where} is not a NATS .creds file (expected a "BEGIN NATS USER JWT" block and a "BEGIN USER NKEY SEED" block)`,
    );
  }
  return { jwt, seed };
}

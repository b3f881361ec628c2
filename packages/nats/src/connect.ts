import { connect, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { EdgewattNatsError } from "./errors";

export type NatsCredentials = { jwt: string; seed?: string | undefined };

export interface ConnectOptions {
  servers: string | string[];
  name: string;
  credentials?: NatsCredentials | undefined;
  /** Keep reconnecting forever (agents) or give up after the default attempts (CLIs, tests). */
  reconnectForever?: boolean;
  timeoutMs?: number;
}

/** Connects to NATS, turning low-level failures into an error that says what to check. */
export async function connectNats(opts: ConnectOptions): Promise<NatsConnection> {
  const servers = Array.isArray(opts.servers) ? opts.servers : opts.servers.split(",").map((s) => s.trim());
  try {
    return await connect({
      servers,
      name: opts.name,
      timeout: opts.timeoutMs ?? 5000,
      maxReconnectAttempts: opts.reconnectForever ? -1 : 10,
      reconnectTimeWait: 1000,
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
    throw new EdgewattNatsError(
      "CONNECT_FAILED",
      `cannot connect to NATS at ${servers.join(", ")}: ${(cause as Error).message}. ` +
        "Check that nats-server is running (with -js) and that NATS_URL points at it.",
      { cause },
    );
  }
}

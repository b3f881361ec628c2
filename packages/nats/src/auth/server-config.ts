/**
 * The nats-server configuration fragment for operator (decentralized JWT) mode, and pushing a new account JWT
 * to running servers.
 *
 * The resolver is the `full` (nats-based) one: it keeps the account JWTs in `dir`, survives restarts (a newer
 * JWT stored there wins over an older preload), and accepts updates at run time from a system-account user on
 * `$SYS.REQ.CLAIMS.UPDATE`, which a cluster propagates to every server. `resolver_preload` seeds it on first
 * start. (The MEMORY resolver also works with nats-server 2.9, but an update then means rewriting the preload
 * in the config file and sending the server SIGHUP, i.e. access to its host.)
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { EdgewattNatsError } from "../errors";
import { decodeAccountJwt } from "./accounts";
import { parsePublicKey } from "./keys";

export interface ServerAuthConfigInput {
  operatorJwt: string;
  systemAccountPublicKey: string;
  /** Account JWTs to preload: the system account's and the application account's. */
  accountJwts: readonly string[];
  /** Where the resolver keeps account JWTs (persistent; one per server). */
  resolverDir: string;
  /** Adds a `jetstream { store_dir }` block when given. */
  jetstreamStoreDir?: string;
}

export function renderServerAuthConfig(input: ServerAuthConfigInput): string {
  const sys = parsePublicKey("account", input.systemAccountPublicKey, "the system account key");
  const preload = input.accountJwts.map((jwt) => `  ${decodeAccountJwt(jwt).publicKey}: ${jwt}`);
  const lines = [
    "# operator (decentralized JWT) mode, rendered by @edgewatt/nats/auth",
    `operator: ${input.operatorJwt}`,
    `system_account: ${sys}`,
    "resolver: {",
    "  type: full",
    `  dir: ${quote(input.resolverDir)}`,
    "  allow_delete: false",
    '  interval: "2m"',
    "}",
    "resolver_preload: {",
    ...preload,
    "}",
  ];
  if (input.jetstreamStoreDir) lines.push(`jetstream { store_dir: ${quote(input.jetstreamStoreDir)} }`);
  return `${lines.join("\n")}\n`;
}

function quote(path: string): string {
  return JSON.stringify(path);
}

/**
 * Sends an updated account JWT to the servers over a system-account connection and waits for the answer.
 * Connected users the new JWT revokes (or whose signing key it no longer lists) are disconnected by the server.
 */
export async function pushAccountJwt(
  systemNc: NatsConnection,
  accountJwt: string,
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  const account = decodeAccountJwt(accountJwt).publicKey;
  let reply: { data?: { code?: number; message?: string }; error?: { code?: number; description?: string } };
  try {
    const msg = await systemNc.request("$SYS.REQ.CLAIMS.UPDATE", new TextEncoder().encode(accountJwt), {
      timeout: opts.timeoutMs ?? 5000,
    });
    reply = msg.json();
  } catch (cause) {
    throw new EdgewattNatsError(
      "ACCOUNT_UPDATE_FAILED",
      `could not push the account JWT of ${account} to NATS: ${(cause as Error).message}. ` +
        "Check that nats-server runs in operator mode with the full resolver and that the system user is valid.",
      { cause },
    );
  }
  if (reply.error || reply.data?.code !== 200) {
    const why = reply.error?.description ?? reply.data?.message ?? JSON.stringify(reply);
    throw new EdgewattNatsError(
      "ACCOUNT_UPDATE_FAILED",
      `NATS refused the account JWT of ${account}: ${why}`,
    );
  }
}

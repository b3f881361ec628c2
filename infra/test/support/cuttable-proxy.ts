/**
 * A TCP proxy (node:net) that can cut the network between a client and a server, the way a dead link does
 * rather than the way a stopped server does: `cut()` resets every live connection, and while cut, new
 * connections are accepted but nothing is ever forwarded — a client sees a connect that never completes its
 * handshake, not a clean refusal. `restore()` forwards again, including the connections held during the cut.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface CuttableProxyStats {
  /** Connections accepted in total. */
  accepted: number;
  /** Connections forwarded to the target (including held ones released by `restore()`). */
  forwarded: number;
  /** Live connections reset by `cut()`. */
  destroyedByCut: number;
  /** Connections accepted while cut and held without forwarding a byte. */
  blackholed: number;
  /** Completed `cut()` calls. */
  cuts: number;
  bytesToTarget: number;
  bytesToClient: number;
}

export interface CuttableProxy {
  /** host:port clients should dial. */
  host: string;
  port: number;
  readonly isCut: boolean;
  readonly stats: CuttableProxyStats;
  /** Resets every live connection and holds new ones without forwarding until `restore()`. */
  cut(): void;
  /** Forwards again: connections held during the cut (if their client still waits) are connected through. */
  restore(): void;
  close(): Promise<void>;
}

export async function startCuttableProxy(target: { host: string; port: number }): Promise<CuttableProxy> {
  const live = new Set<{ client: Socket; upstream: Socket }>();
  const held = new Set<Socket>();
  const stats: CuttableProxyStats = {
    accepted: 0,
    forwarded: 0,
    destroyedByCut: 0,
    blackholed: 0,
    cuts: 0,
    bytesToTarget: 0,
    bytesToClient: 0,
  };
  let isCut = false;

  const forward = (client: Socket) => {
    const upstream = createConnection(target);
    const pair = { client, upstream };
    live.add(pair);
    stats.forwarded++;
    const close = () => {
      live.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    upstream.once("connect", () => {
      // Listeners only now: a 'data' listener starts the flow, and nothing may flow before the target is there.
      client.on("data", (d: Buffer) => {
        stats.bytesToTarget += d.length;
      });
      upstream.on("data", (d: Buffer) => {
        stats.bytesToClient += d.length;
      });
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    stats.accepted++;
    if (!isCut) {
      forward(client);
      return;
    }
    // A dead network: the connection exists but not a byte flows either way. The socket stays paused, so
    // whatever the client sends waits in the kernel's buffers like segments waiting to be retransmitted.
    stats.blackholed++;
    held.add(client);
    const drop = () => held.delete(client);
    client.on("error", drop).on("close", drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the proxy has no TCP address");

  return {
    host: "127.0.0.1",
    port: address.port,
    get isCut() {
      return isCut;
    },
    stats,
    cut() {
      isCut = true;
      stats.cuts++;
      for (const pair of [...live]) {
        live.delete(pair);
        stats.destroyedByCut++;
        // A reset, not a goodbye: the client learns of the cut only because the connection breaks.
        pair.client.resetAndDestroy();
        pair.upstream.resetAndDestroy();
      }
    },
    restore() {
      isCut = false;
      for (const client of [...held]) {
        held.delete(client);
        if (!client.destroyed) forward(client);
      }
    },
    async close() {
      for (const { client, upstream } of live) {
        client.destroy();
        upstream.destroy();
      }
      for (const client of held) client.destroy();
      live.clear();
      held.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

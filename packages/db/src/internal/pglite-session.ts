/**
 * Makes PGLiteSocketServer safe for several concurrent `pg` connections.
 *
 * The server (pglite-socket 0.2.17) queues each client's wire-protocol messages one by one and only
 * keeps a connection's messages together while `db.isInTransaction()` is true. An extended-protocol
 * request (Parse, Bind, Describe, Execute, Sync: what every parameterised `pg` query sends) is not a
 * transaction, so when a request arrives in more than one TCP chunk (large parameters, e.g. a telemetry
 * batch) another connection's Parse can land between this one's Parse and Bind. They share PGlite's one
 * unnamed statement, so the Bind runs against the wrong SQL (electric-sql/pglite#1046).
 *
 * The wrapper returned here reports "in transaction" also while a request is unfinished, i.e. until
 * PGlite's reply ends with ReadyForQuery, so the server's existing affinity rule keeps the request
 * together. Everything else is passed to PGlite unchanged.
 */
import type { PGlite } from "@electric-sql/pglite";

/** `Z`, int32 length 5, status byte (`I` idle, `T` in transaction, `E` failed transaction). */
const READY_FOR_QUERY_LENGTH = 6;
const TERMINATE = 0x58; // 'X'
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]); // 'S', length 4

type ExecStreamOptions = Parameters<PGlite["execProtocolRawStream"]>[1];

export function pinSessionUntilReady(pglite: PGlite): PGlite {
  let midRequest = false;

  const execProtocolRawStream = async (message: Uint8Array, options?: ExecStreamOptions): Promise<void> => {
    const tail = new Uint8Array(READY_FOR_QUERY_LENGTH);
    let tailLength = 0;
    const keepTail = (chunk: Uint8Array): void => {
      if (chunk.length >= READY_FOR_QUERY_LENGTH) {
        tail.set(chunk.subarray(chunk.length - READY_FOR_QUERY_LENGTH));
        tailLength = READY_FOR_QUERY_LENGTH;
        return;
      }
      const keep = Math.min(tailLength, READY_FOR_QUERY_LENGTH - chunk.length);
      tail.copyWithin(0, tailLength - keep, tailLength);
      tail.set(chunk, keep);
      tailLength = keep + chunk.length;
    };
    await pglite.execProtocolRawStream(message, {
      ...options,
      onRawData: (chunk) => {
        keepTail(chunk);
        options?.onRawData(chunk);
      },
    });
    midRequest = message[0] !== TERMINATE && !endsWithReadyForQuery(tail, tailLength);
  };

  // The server calls exec("ROLLBACK") when a connection that held the session goes away. If it went
  // away mid-request, first end that request (Sync) so the session accepts a new query.
  const exec: PGlite["exec"] = async (...args) => {
    if (midRequest) {
      await pglite.execProtocolRawStream(SYNC, { onRawData: () => {} });
      midRequest = false;
    }
    return pglite.exec(...args);
  };

  return new Proxy(pglite, {
    get(target, prop) {
      if (prop === "isInTransaction") return () => midRequest || target.isInTransaction();
      if (prop === "execProtocolRawStream") return execProtocolRawStream;
      if (prop === "exec") return exec;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function endsWithReadyForQuery(tail: Uint8Array, length: number): boolean {
  if (length < READY_FOR_QUERY_LENGTH) return false;
  const status = tail[5];
  return (
    tail[0] === 0x5a &&
    tail[1] === 0 &&
    tail[2] === 0 &&
    tail[3] === 0 &&
    tail[4] === 5 &&
    (status === 0x49 || status === 0x54 || status === 0x45)
  );
}

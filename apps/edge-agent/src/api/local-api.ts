/**
 * The local API on-device applications call: HTTP on the loopback interface and/or on a Unix socket, both the
 * same handler. Requests go through the agent's one priority queue, so the agent's policy picks the variant and
 * thread count for them exactly as for built-in traffic, and each one is metered and reported.
 *
 *   GET  /v1/health   → 200 {"ok": true, "serving": bool}
 *   GET  /v1/status   → the agent's status (what `edgewatt-agent status` shows)
 *   GET  /v1/model    → the deployed model: inputs, outputs, the ladder, the policy (503 without one)
 *   POST /v1/infer    {"priority": "critical"|"normal"|"background", "inputs": {name: {dims, data|base64}},
 *                      "timeoutMs"?: n}
 *                     → 200 {variant, threads, reason, substitutedFor, latencyMs, queueMs, energyJ, energySource,
 *                            outputs: {name: {type, dims, data}}}
 *
 * Errors are `{"error": {"code", "message"}}` with 400 (fix the request), 404, 405, 413 (body too large), 429
 * (queue full or evicted for critical work: retry later), 503 (no model yet, or shutting down), 504 (timed out;
 * a request still queued is cancelled), 500 (the model failed on this input).
 */
import { chmod, lstat, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "@edgewatt/nats";
import { PRIORITIES, type Priority } from "@edgewatt/protocol";
import type { InferenceLoop, ServedResult } from "../agent/inference-loop";
import { AgentError, errorMessage } from "../errors";
import type { ActiveDeployment } from "../runtime/active-deployment";
import type { Slot } from "../runtime/slot";
import { BadRequestError, tensorsFromJson, tensorsToJson } from "./tensor-json";

export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 600_000;

export interface LocalApiOptions {
  /** "127.0.0.1:<port>" (port 0 = any free one), or null. */
  http: string | null;
  /** Absolute Unix socket path, or null. */
  socketPath: string | null;
  loop: InferenceLoop;
  slot: Slot<ActiveDeployment>;
  status: () => unknown;
  log: Logger;
}

export interface LocalApi {
  /** "127.0.0.1:<port>" actually bound, or null. */
  readonly http: string | null;
  readonly socketPath: string | null;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const SERVE_STATUS: Record<string, number> = {
  NO_MODEL: 503,
  STOPPING: 503,
  QUEUE_FULL: 429,
  EVICTED: 429,
  CANCELLED: 504,
  INFERENCE_FAILED: 500,
};

export async function startLocalApi(opts: LocalApiOptions): Promise<LocalApi> {
  const servers: Server[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, opts).catch((err) => {
      const e =
        err instanceof HttpError
          ? err
          : err instanceof BadRequestError
            ? new HttpError(400, "BAD_REQUEST", err.message)
            : new HttpError(500, "INTERNAL", errorMessage(err));
      if (e.status >= 500) opts.log.warn({ path: req.url, err: e.message }, "local API request failed");
      send(res, e.status, { error: { code: e.code, message: e.message } });
    });
  };
  let http: string | null = null;
  let socketPath: string | null = null;
  try {
    if (opts.http) {
      const server = createServer(handler);
      const sep = opts.http.lastIndexOf(":");
      const host = opts.http.slice(0, sep).replace(/^\[|\]$/g, "");
      const port = Number(opts.http.slice(sep + 1));
      await listen(server, { host, port }, `the local API on ${opts.http}`);
      servers.push(server);
      const addr = server.address();
      http =
        addr && typeof addr === "object" ? `${host.includes(":") ? `[${host}]` : host}:${addr.port}` : null;
    }
    if (opts.socketPath) {
      const path = opts.socketPath;
      if (Buffer.byteLength(path) > 100) {
        throw new AgentError(
          "CONFIG_INVALID",
          `the local API socket path ${path} is too long for a Unix socket (over 100 bytes); set api.socket to a shorter absolute path`,
        );
      }
      await removeStaleSocket(path);
      const server = createServer(handler);
      await listen(server, { path }, `the local API socket ${path}`);
      servers.push(server);
      // Owner and group (e.g. an app user added to the agent's group) only.
      await chmod(path, 0o660);
      socketPath = path;
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  opts.log.info({ http, socket: socketPath }, "local API listening");
  return {
    http,
    socketPath,
    async close() {
      await Promise.all(servers.map(closeServer));
      if (socketPath) await rm(socketPath, { force: true });
    },
  };
}

function listen(server: Server, where: { host: string; port: number } | { path: string }, what: string) {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const hint =
        err.code === "EADDRINUSE"
          ? "is already in use: pick another (api.http / --api-http) or stop what holds it"
          : err.code === "EACCES"
            ? "is not permitted for this user"
            : `cannot be opened (${err.code ?? err.message})`;
      reject(new AgentError("CONFIG_INVALID", `${what} ${hint}`, { cause: err }));
    };
    server.once("error", onError);
    server.listen(where, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/** The run lock guarantees no other agent serves this state directory, so a leftover socket is stale. */
async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st) return;
  if (!st.isSocket()) {
    throw new AgentError(
      "CONFIG_INVALID",
      `the local API socket path ${path} exists and is not a socket; remove it or set api.socket elsewhere`,
    );
  }
  await rm(path, { force: true });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: LocalApiOptions): Promise<void> {
  const url = new URL(req.url ?? "/", "http://agent.local");
  const route = `${req.method ?? "GET"} ${url.pathname}`;
  switch (route) {
    case "GET /v1/health":
      return send(res, 200, { ok: true, serving: opts.slot.value !== null });
    case "GET /v1/status":
      return send(res, 200, opts.status());
    case "GET /v1/model":
      return send(res, 200, describeModel(opts.slot));
    case "POST /v1/infer":
      return infer(req, res, opts);
  }
  if (["/v1/health", "/v1/status", "/v1/model", "/v1/infer"].includes(url.pathname)) {
    throw new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${url.pathname}`);
  }
  throw new HttpError(
    404,
    "NOT_FOUND",
    `no such endpoint ${url.pathname}; try GET /v1/health, GET /v1/status, GET /v1/model, POST /v1/infer`,
  );
}

function describeModel(slot: Slot<ActiveDeployment>) {
  const d = slot.value;
  if (!d) throw new HttpError(503, "NO_MODEL", "no model is deployed to this device yet");
  const a = d.assignment;
  const first = a.ladder[0];
  return {
    deploymentId: a.deploymentId,
    modelId: a.modelId,
    modelName: a.modelName,
    inputs: first?.inputs ?? [],
    outputs: first?.outputs ?? [],
    policy: { mode: d.policy.mode, policyId: d.policy.policyId, version: d.policy.version },
    ladder: d.ladder.map((v) => ({
      name: v.name,
      fidelity: v.fidelity,
      energyJ: v.energyJ,
      latencyMs: v.latencyMs,
      observedEnergyJ: d.observedEnergyJ.get(v.name) ?? null,
    })),
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    throw new HttpError(413, "TOO_LARGE", `request body over ${MAX_BODY_BYTES} bytes; send smaller inputs`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, "TOO_LARGE", `request body over ${MAX_BODY_BYTES} bytes; send smaller inputs`);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`the body is not JSON (${errorMessage(err)}); send {"priority", "inputs"}`);
  }
}

async function infer(req: IncomingMessage, res: ServerResponse, opts: LocalApiOptions): Promise<void> {
  const body = await readBody(req);
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequestError('the body must be a JSON object: {"priority": "normal", "inputs": {...}}');
  }
  const {
    priority = "normal",
    inputs,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  } = body as {
    priority?: unknown;
    inputs?: unknown;
    timeoutMs?: unknown;
  };
  if (typeof priority !== "string" || !(PRIORITIES as readonly string[]).includes(priority)) {
    throw new BadRequestError(
      `"priority" must be one of ${PRIORITIES.join(", ")}; got ${JSON.stringify(priority)}`,
    );
  }
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0) || timeoutMs > MAX_TIMEOUT_MS) {
    throw new BadRequestError(`"timeoutMs" must be a number in (0, ${MAX_TIMEOUT_MS}]`);
  }
  const deployment = opts.slot.value;
  if (!deployment) throw new HttpError(503, "NO_MODEL", "no model is deployed to this device yet");
  // Every variant of a ladder has the same inputs as the original (the engine keeps the interface).
  const specs = deployment.assignment.ladder[0]?.inputs ?? [];
  const tensors = tensorsFromJson(inputs, specs);

  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableEnded) abort.abort(new Error("the client went away"));
  };
  res.on("close", onClose);
  const outcome = await new Promise<{ ok: true; result: ServedResult } | { ok: false; error: Error }>(
    (resolve) => {
      const timer = setTimeout(() => {
        abort.abort(new Error("timed out"));
        resolve({
          ok: false,
          error: new HttpError(
            504,
            "TIMEOUT",
            `no result within ${timeoutMs} ms; retry, or raise "timeoutMs"`,
          ),
        });
      }, timeoutMs);
      opts.loop.submit({
        priority: priority as Priority,
        enqueuedAt: performance.now(),
        inputs: tensors,
        signal: abort.signal,
        reply: (o) => {
          clearTimeout(timer);
          resolve(o);
        },
      });
    },
  );
  res.off("close", onClose);
  if (!outcome.ok) {
    const e = outcome.error;
    if (e instanceof HttpError) throw e;
    const code = (e as { code?: string }).code ?? "INTERNAL";
    throw new HttpError(SERVE_STATUS[code] ?? 500, code, e.message);
  }
  const r = outcome.result;
  send(res, 200, {
    variant: r.variant,
    threads: r.threads,
    reason: r.reason,
    substitutedFor: r.substitutedFor,
    latencyMs: r.latencyMs,
    queueMs: r.queueMs,
    energyJ: r.energyJ,
    energySource: r.energySource,
    outputs: tensorsToJson(r.outputs),
  });
}

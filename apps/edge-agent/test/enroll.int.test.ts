/**
 * `edgewatt-agent enroll` against a small HTTP server started here that speaks the portal's enrollment contract
 * (POST /api/agent/enroll, ZEnrollmentRequest → ZEnrollmentResponse | ZApiError).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@edgewatt/nats/testing";
import {
  type EnrollmentRequest,
  type EnrollmentResponse,
  KV_BUCKETS,
  kvKeys,
  OBJECT_BUCKETS,
  subjects,
  ZEnrollmentRequest,
} from "@edgewatt/protocol";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../src/cli/io";
import { runCli } from "../src/cli/run-cli";
import { ZIdentity } from "../src/state/identity";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

const ORG = "org_test1";
const DEVICE = "dev_test1";

function enrollmentResponse(name: string): EnrollmentResponse {
  return {
    deviceId: DEVICE,
    orgId: ORG,
    deviceName: name,
    groupId: null,
    nats: { servers: ["nats://127.0.0.1:4222"] },
    buckets: { deploy: KV_BUCKETS.deploy, policy: KV_BUCKETS.policy, models: OBJECT_BUCKETS.models },
    assignmentKey: kvKeys.deviceAssignment(ORG, DEVICE),
    subjects: {
      telemetry: subjects.telemetryEnergy(ORG, DEVICE),
      heartbeat: subjects.heartbeat(ORG, DEVICE),
      prefix: subjects.devicePrefix(ORG, DEVICE),
    },
  };
}

/** The portal's side of the contract: validate the request, answer by token. */
const portal: Handler = (req, body, res) => {
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
  };
  if (req.method !== "POST" || req.url !== "/api/agent/enroll") {
    res.writeHead(404, { "content-type": "text/html" });
    res.end("<!DOCTYPE html><html><body>404 — This page could not be found.</body></html>");
    return;
  }
  let parsedBody: unknown;
  try {
    parsedBody = JSON.parse(body);
  } catch {
    return json(400, { error: { code: "BAD_REQUEST", message: "body must be JSON" } });
  }
  const parsed = ZEnrollmentRequest.safeParse(parsedBody);
  if (!parsed.success) return json(400, { error: { code: "BAD_REQUEST", message: parsed.error.message } });
  received.push(parsed.data);
  switch (parsed.data.token) {
    case "ewt_good_token":
      return json(201, enrollmentResponse(parsed.data.name ?? parsed.data.platform.hostname ?? "device"));
    case "ewt_expired_token":
      return json(401, {
        error: {
          code: "TOKEN_EXPIRED",
          message: "this enrollment token expired; create a new one in the portal",
        },
      });
    default:
      return json(401, { error: { code: "TOKEN_UNKNOWN", message: "unknown enrollment token" } });
  }
};

const notAPortal: Handler = (_req, _body, res) => {
  res.writeHead(404, { "content-type": "text/html" });
  res.end("<html><body><h1>Not Found</h1></body></html>");
};

let received: EnrollmentRequest[] = [];

async function startHttp(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe("edgewatt-agent enroll", () => {
  let portalServer: Awaited<ReturnType<typeof startHttp>>;
  let otherServer: Awaited<ReturnType<typeof startHttp>>;
  let stateDir: string;

  beforeAll(async () => {
    portalServer = await startHttp(portal);
    otherServer = await startHttp(notAPortal);
  });
  afterAll(async () => {
    await portalServer.close();
    await otherServer.close();
  });
  beforeEach(async () => {
    received = [];
    stateDir = join(await mkdtemp(join(tmpdir(), "ew-enroll-")), "state");
    return () => rm(join(stateDir, ".."), { recursive: true, force: true });
  });

  it("enrolls, sends platform/version/meters, and writes a private identity.json", async () => {
    const io = captureIo();
    const code = await runCli(
      [
        "enroll",
        "--server",
        portalServer.url,
        "--token",
        "ewt_good_token",
        "--name",
        "bench-pi",
        "--state-dir",
        stateDir,
      ],
      io,
    );
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    expect(io.stdout.join("\n")).toContain(`device ${DEVICE} in org ${ORG}`);

    const request = received[0];
    expect(request?.name).toBe("bench-pi");
    expect(request?.agentVersion).toBe("0.0.0");
    expect(request?.platform.os).toBe(process.platform);
    expect(request?.meters).toEqual(["model"]);

    const path = join(stateDir, "identity.json");
    const identity = ZIdentity.parse(JSON.parse(await readFile(path, "utf8")));
    expect(identity.deviceId).toBe(DEVICE);
    expect(identity.server).toBe(portalServer.url);
    expect(identity.assignmentKey).toBe(kvKeys.deviceAssignment(ORG, DEVICE));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
  });

  it("refuses to enroll twice without --force, and re-enrolls with it", async () => {
    const args = [
      "enroll",
      "--server",
      portalServer.url,
      "--token",
      "ewt_good_token",
      "--state-dir",
      stateDir,
    ];
    expect(await runCli(args, captureIo())).toBe(0);
    const again = captureIo();
    expect(await runCli(args, again)).toBe(2);
    expect(again.stderr).toHaveLength(1);
    expect(again.stderr[0]).toMatch(/already enrolled .*--force/);
    expect(received).toHaveLength(1); // the second attempt never spent a token
    expect(await runCli([...args, "--force"], captureIo())).toBe(0);
    expect(received).toHaveLength(2);
  });

  it("prints the portal's message for a token error and exits with code 2", async () => {
    const io = captureIo();
    const code = await runCli(
      ["enroll", "--server", portalServer.url, "--token", "ewt_expired_token", "--state-dir", stateDir],
      io,
    );
    expect(code).toBe(2);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toContain("this enrollment token expired; create a new one in the portal");
    expect(io.stderr[0]).toContain("TOKEN_EXPIRED");
    await expect(stat(join(stateDir, "identity.json"))).rejects.toThrow();
  });

  it("says a server answering 404 HTML does not look like an EdgeWatt portal", async () => {
    const io = captureIo();
    const code = await runCli(
      ["enroll", "--server", otherServer.url, "--token", "ewt_good_token", "--state-dir", stateDir],
      io,
    );
    expect(code).toBe(2);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(/does not look like an EdgeWatt portal/);
    expect(io.stderr[0]).toMatch(/HTTP 404/);
  });

  it("says a wrong path on the portal itself does not look like a portal either", async () => {
    const io = captureIo();
    const code = await runCli(
      [
        "enroll",
        "--server",
        `${portalServer.url}/some/prefix`,
        "--token",
        "ewt_good_token",
        "--state-dir",
        stateDir,
      ],
      io,
    );
    expect(code).toBe(2);
    expect(io.stderr[0]).toMatch(/does not look like an EdgeWatt portal/);
  });

  it("explains a refused connection", async () => {
    const port = await freePort();
    const io = captureIo();
    const code = await runCli(
      [
        "enroll",
        "--server",
        `http://127.0.0.1:${port}`,
        "--token",
        "ewt_good_token",
        "--state-dir",
        stateDir,
      ],
      io,
    );
    expect(code).toBe(2);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toContain(`cannot reach http://127.0.0.1:${port} (ECONNREFUSED)`);
    expect(io.stderr[0]).toContain("is the portal running and is --server its URL?");
  });

  it("exits with code 2 from the real executable (bin/edgewatt-agent.js)", async () => {
    const bin = join(import.meta.dirname, "..", "bin", "edgewatt-agent.js");
    // Asynchronously: the portal answering it runs in this process.
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [
          bin,
          "enroll",
          "--server",
          portalServer.url,
          "--token",
          "ewt_expired_token",
          "--state-dir",
          stateDir,
        ],
        (_err, _stdout, stderr) => resolve({ status: child.exitCode, stderr }),
      );
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("TOKEN_EXPIRED");
  });
});

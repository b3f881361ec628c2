/** The worker as a process: starts from its env, logs JSON lines, and shuts down cleanly on SIGTERM. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createDevice, getDevice } from "@edgewatt/db";
import { createTestDatabase, type TestDatabase } from "@edgewatt/db/testing";
import { connectNats, type NatsConnection } from "@edgewatt/nats";
import { startNatsServer, type TestNatsServer } from "@edgewatt/nats/testing";
import { encode, subjects, ZHeartbeat } from "@edgewatt/protocol";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedOrg, waitFor } from "./support";

const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");

function startProcess(env: Record<string, string>) {
  const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) {
      if (!line.trim()) continue;
      raw.push(line);
      try {
        lines.push(JSON.parse(line));
      } catch {
        // not a log line (e.g. a runtime warning); kept in `raw`
      }
    }
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  return { proc, lines, raw };
}

async function exitCode(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return proc.exitCode;
  const [code] = await once(proc, "exit");
  return code as number | null;
}

describe("worker process", () => {
  let nats: TestNatsServer;
  let tdb: TestDatabase;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNatsServer();
    tdb = await createTestDatabase();
    nc = await connectNats({ servers: nats.url, name: "worker-main-test" });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
    await tdb?.drop();
  });

  it("refuses to start without DATABASE_URL, saying what is missing", async () => {
    const { proc, lines } = startProcess({ NATS_URL: nats.url });
    expect(await exitCode(proc)).toBe(1);
    expect(lines.at(-1)).toMatchObject({ level: "error", component: "worker" });
    expect(String(lines.at(-1)?.msg)).toMatch(/DATABASE_URL/);
  });

  it("runs the consumers and stops gracefully on SIGTERM", async () => {
    const { proc, lines, raw } = startProcess({
      DATABASE_URL: tdb.url,
      NATS_URL: nats.url,
      LOG_LEVEL: "info",
    });
    try {
      await waitFor(`the worker to start (output: ${raw.join("\n")})`, () =>
        lines.some((l) => l.msg === "worker consumers started"),
      );
      const orgId = await seedOrg(tdb.db);
      const device = await createDevice(tdb.db, {
        orgId,
        groupId: null,
        name: "proc-test",
        platform: { os: "linux", arch: "x64" },
        meters: ["model"],
        agentVersion: null,
        enrollmentTokenId: null,
      });
      await jetstream(nc).publish(
        subjects.heartbeat(orgId, device.id),
        encode(ZHeartbeat, {
          orgId,
          deviceId: device.id,
          boot: "b1",
          ts: Date.now(),
          uptimeS: 1,
          agentVersion: "0.1.0",
          meter: "model",
          state: { powerState: "mains" },
        }),
      );
      await waitFor(
        "the device to be online",
        async () => (await getDevice(tdb.db, orgId, device.id)).status === "online",
      );

      proc.kill("SIGTERM");
      expect(await exitCode(proc)).toBe(0);
      expect(lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining(["shutting down: finishing in-flight messages", "worker stopped"]),
      );
      const stopped = lines.find((l) => l.msg === "worker stopped") as {
        stats: { heartbeats: { recorded: number } };
      };
      expect(stopped.stats.heartbeats.recorded).toBe(1);
      for (const l of lines) expect(l).toHaveProperty("ts");
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  });
});

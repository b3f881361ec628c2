import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNats, ensureControlPlane } from "@edgewatt/nats";
import { createNatsAuthSetup, mintServiceUser, renderServerAuthConfig } from "@edgewatt/nats/auth";
import { freePort } from "@edgewatt/nats/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readLauncherEnv } from "../dev/env";
import { findNatsServer, MissingBinaryError, startLocalNats } from "../dev/nats-server";

describe("launcher configuration", () => {
  it("defaults everything for one machine", () => {
    const env = readLauncherEnv({ EDGEWATT_HOME: "/tmp/x" });
    expect(env).toMatchObject({
      PORT: 3000,
      EDGEWATT_NATS_PORT: 14222,
      EDGEWATT_PG_PORT: 15432,
      home: "/tmp/x",
    });
    expect(env.NATS_URL).toBeUndefined();
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.EDGEWATT_NATS_AUTH).toBe("none");
  });
  it("takes operator mode as an option, with a long enough secret key", () => {
    expect(readLauncherEnv({ EDGEWATT_NATS_AUTH: "jwt" }).EDGEWATT_NATS_AUTH).toBe("jwt");
    expect(() => readLauncherEnv({ EDGEWATT_NATS_AUTH: "yes" })).toThrow(/EDGEWATT_NATS_AUTH/);
    expect(() => readLauncherEnv({ EDGEWATT_NATS_AUTH: "jwt", EDGEWATT_SECRET_KEY: "short" })).toThrow(
      /EDGEWATT_SECRET_KEY/,
    );
  });
  it("says which variable is wrong", () => {
    expect(() => readLauncherEnv({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => readLauncherEnv({ DATABASE_URL: "not a url" })).toThrow(/DATABASE_URL/);
  });
  it("tells how to install nats-server when it is missing", () => {
    // /usr/sbin/nats-server is the last resort; point the explicit path and the search path at nothing.
    const found = (() => {
      try {
        return findNatsServer("/nonexistent/nats-server", "/nonexistent");
      } catch (err) {
        return err;
      }
    })();
    if (found instanceof MissingBinaryError) expect(found.message).toMatch(/apt-get install -y nats-server/);
    else expect(found).toBe("/usr/sbin/nats-server");
  });
});

describe("the launcher's own nats-server", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "ew-launcher-"));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it("starts with JetStream and a store under the EdgeWatt home, and the control plane can be created", async () => {
    const nats = await startLocalNats({ home, port: await freePort(), searchPath: "/usr/sbin:/usr/bin" });
    try {
      const nc = await connectNats({ servers: nats.url, name: "launcher-test" });
      await ensureControlPlane(nc);
      await nc.close();
    } finally {
      nats.process.kill("SIGTERM");
      await new Promise((r) => nats.process.once("exit", r));
    }
  });

  it("runs in operator mode with the rendered auth config: service users connect, anonymous clients do not", async () => {
    const setup = await createNatsAuthSetup();
    const operatorHome = join(home, "operator");
    const nats = await startLocalNats({
      home: operatorHome,
      port: await freePort(),
      searchPath: "/usr/sbin:/usr/bin",
      authConfig: renderServerAuthConfig({
        operatorJwt: setup.operator.jwt,
        systemAccountPublicKey: setup.systemAccount.publicKey,
        accountJwts: [setup.systemAccount.jwt, setup.account.jwt],
        resolverDir: join(operatorHome, "nats", "jwt"),
      }),
    });
    try {
      await expect(
        connectNats({ servers: nats.url, name: "anonymous", timeoutMs: 3000 }),
      ).rejects.toMatchObject({
        code: "CONNECT_FAILED",
      });
      const service = await mintServiceUser({ accountSeed: setup.account.seed, name: "launcher-test" });
      const nc = await connectNats({ servers: nats.url, name: "launcher-test", credentials: service });
      await ensureControlPlane(nc);
      await nc.close();
    } finally {
      nats.process.kill("SIGTERM");
      await new Promise((r) => nats.process.once("exit", r));
    }
  });

  it("explains a port that is already taken", async () => {
    const port = await freePort();
    const first = await startLocalNats({ home, port, searchPath: "/usr/sbin" });
    try {
      await expect(
        startLocalNats({ home: join(home, "second"), port, searchPath: "/usr/sbin" }),
      ).rejects.toThrow(/EDGEWATT_NATS_PORT/);
    } finally {
      first.process.kill("SIGTERM");
      await new Promise((r) => first.process.once("exit", r));
    }
  });
});

/**
 * Per-device credentials against a real nats-server in operator mode: what a device may do, what it may not,
 * revocation, rotation and cutting off a whole org. Every refusal asserted here comes from the server.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode, KV_BUCKETS, kvKeys, STREAMS, subjects, ZHeartbeat } from "@edgewatt/protocol";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { encodeAccount, encodeUser } from "@nats-io/jwt";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectNats,
  ensureControlPlane,
  getObjectToFile,
  type NatsConnection,
  openModelStore,
  putObjectBytes,
} from "../src";
import {
  APP_ACCOUNT_LIMITS,
  createNatsAuthSetup,
  createNkeyPair,
  decodeAccountJwt,
  decodeUserJwt,
  encodeAppAccountJwt,
  keyPairFromSeed,
  mintDeviceUser,
  mintServiceUser,
  mintSystemUser,
  type NatsAuthSetup,
  type NkeyPair,
  pushAccountJwt,
  type Revocations,
  renderServerAuthConfig,
  revokeUsers,
} from "../src/auth";
import { startNatsServer, type TestNatsServer } from "../src/testing";

const ORG_X = "org_x";
const ORG_Y = "org_y";
const te = new TextEncoder();
const td = new TextDecoder();

interface Device {
  orgId: string;
  deviceId: string;
  key: NkeyPair;
  jwt: string;
}

describe("per-device NATS credentials (operator mode, real nats-server)", () => {
  let setup: NatsAuthSetup;
  const orgKeys: Record<string, NkeyPair> = {};
  let signingKeys: string[];
  const revocations: Revocations = {};
  let server: TestNatsServer;
  let svc: NatsConnection;
  let sys: NatsConnection;
  let dir: string;
  const open: NatsConnection[] = [];

  /** Re-signs the account from the test's state and pushes it, as the control plane does. */
  async function publishAccount(): Promise<string> {
    const jwt = await encodeAppAccountJwt({
      operatorSeed: setup.operator.seed,
      accountPublicKey: setup.account.publicKey,
      signingKeys,
      revocations,
    });
    await pushAccountJwt(sys, jwt);
    return jwt;
  }

  async function device(orgId: string, deviceId: string, models?: string): Promise<Device> {
    // The agent makes the key pair; only its public key reaches the minting side.
    const key = createNkeyPair("user");
    const orgKey = orgKeys[orgId];
    if (!orgKey) throw new Error(`no signing key for ${orgId}`);
    const jwt = await mintDeviceUser({
      accountPublicKey: setup.account.publicKey,
      orgSigningKeySeed: orgKey.seed,
      orgId,
      deviceId,
      userPublicKey: key.publicKey,
      ...(models ? { buckets: { models } } : {}),
    });
    return { orgId, deviceId, key, jwt };
  }

  async function connectAs(d: Device, reconnect = false): Promise<NatsConnection> {
    const nc = await connectNats({
      servers: server.url,
      name: d.deviceId,
      credentials: { jwt: d.jwt, seed: d.key.seed },
      ...(reconnect ? {} : { timeoutMs: 3000 }),
    });
    open.push(nc);
    return nc;
  }

  /** Collects the async permission errors the server sends on a connection. */
  function permissionErrors(nc: NatsConnection): string[] {
    const errors: string[] = [];
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "error") errors.push(String(s.error.message));
      }
    })();
    return errors;
  }

  const A = { dev: null as unknown as Device, nc: null as unknown as NatsConnection, errors: [] as string[] };
  let B: Device;
  let C: Device;
  const modelBytes = new Uint8Array(400_000).map((_, i) => (i * 7) % 251);

  beforeAll(async () => {
    setup = await createNatsAuthSetup();
    orgKeys[ORG_X] = createNkeyPair("account");
    orgKeys[ORG_Y] = createNkeyPair("account");
    signingKeys = [orgKeys[ORG_X].publicKey, orgKeys[ORG_Y].publicKey];
    const accountJwt = await encodeAppAccountJwt({
      operatorSeed: setup.operator.seed,
      accountPublicKey: setup.account.publicKey,
      signingKeys,
      revocations: {},
    });
    server = await startNatsServer({
      authConfig: (d) =>
        renderServerAuthConfig({
          operatorJwt: setup.operator.jwt,
          systemAccountPublicKey: setup.systemAccount.publicKey,
          accountJwts: [setup.systemAccount.jwt, accountJwt],
          resolverDir: join(d, "jwt"),
        }),
    });
    const service = await mintServiceUser({ accountSeed: setup.account.seed, name: "test" });
    svc = await connectNats({ servers: server.url, name: "svc", credentials: service });
    const sysUser = await mintSystemUser({ systemAccountSeed: setup.systemAccount.seed, name: "test" });
    sys = await connectNats({ servers: server.url, name: "sys", credentials: sysUser });
    await ensureControlPlane(svc);
    dir = await mkdtemp(join(tmpdir(), "ew-auth-"));

    A.dev = await device(ORG_X, "dev_a");
    B = await device(ORG_X, "dev_b");
    C = await device(ORG_Y, "dev_c");
    const kvm = new Kvm(svc);
    const deploy = await kvm.open(KV_BUCKETS.deploy);
    await deploy.put(kvKeys.deviceAssignment(ORG_X, "dev_a"), te.encode("assignment of a"));
    await deploy.put(kvKeys.deviceAssignment(ORG_X, "dev_b"), te.encode("assignment of b"));
    const policy = await kvm.open(KV_BUCKETS.policy);
    await policy.put(kvKeys.groupPolicy(ORG_X, "grp_1"), te.encode("policy of x"));
    await policy.put(kvKeys.groupPolicy(ORG_Y, "grp_9"), te.encode("policy of y"));
    await putObjectBytes(await openModelStore(svc), `${ORG_X}/mdl_1/fp32.onnx`, modelBytes);
    await putObjectBytes(await openModelStore(svc), `${ORG_Y}/mdl_9/fp32.onnx`, new Uint8Array(5000).fill(9));
    for (const org of [ORG_X, ORG_Y]) {
      const store = await new Objm(svc).create(`MODELS_${org}`);
      await putObjectBytes(store, `${org}/mdl_1/fp32.onnx`, org === ORG_X ? modelBytes : new Uint8Array(9));
    }

    A.nc = await connectAs(A.dev);
    A.errors = permissionErrors(A.nc);
  });

  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => {});
    await svc?.close();
    await sys?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("spells out every account limit: an omitted one means zero, not unlimited", async () => {
    const { account } = decodeAccountJwt(await publishAccount());
    expect(account.limits).toMatchObject({
      conn: -1,
      subs: -1,
      data: -1,
      payload: -1,
      imports: -1,
      exports: -1,
      leaf: -1,
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    });
    expect(account.limits).toEqual(APP_ACCOUNT_LIMITS);

    // The failure the limits prevent: an account JWT without them admits no connection at all.
    const bare = createNkeyPair("account");
    const operator = keyPairFromSeed("operator", setup.operator.seed, "operator");
    await pushAccountJwt(sys, await encodeAccount("BARE", bare.publicKey, {}, { signer: operator }));
    const user = createNkeyPair("user");
    const jwt = await encodeUser("u", user.publicKey, keyPairFromSeed("account", bare.seed, "bare"), {});
    await expect(
      connectNats({
        servers: server.url,
        name: "bare",
        credentials: { jwt, seed: user.seed },
        timeoutMs: 3000,
      }),
    ).rejects.toMatchObject({ code: "CONNECT_FAILED" });
    expect(server.output()).toMatch(/maximum account active connections exceeded/i);
  });

  it("mints a device JWT signed by the org's key, for the device's own public key, with tight permissions", () => {
    const claims = decodeUserJwt(A.dev.jwt);
    expect(claims).toMatchObject({
      publicKey: A.dev.key.publicKey,
      issuer: orgKeys[ORG_X]?.publicKey,
      issuerAccount: setup.account.publicKey,
      name: "dev_a",
    });
    expect(claims.user.bearer_token).toBe(false);
    expect(claims.user.sub?.allow).toEqual(["ew.org_x.dev.dev_a.cmd.>", "_INBOX_dev_a.>"]);
    expect(claims.user.pub?.allow).toContain("ew.org_x.dev.dev_a.>");
    expect(JSON.stringify(claims)).not.toContain(A.dev.key.seed);
  });

  it("lets a device publish telemetry to JetStream (deduplicated) and heartbeats under its own prefix", async () => {
    const js = jetstream(A.nc);
    const subject = subjects.telemetryEnergy(ORG_X, "dev_a");
    const first = await js.publish(subject, te.encode("{}"), { msgID: "dev_a:boot:1" });
    const again = await js.publish(subject, te.encode("{}"), { msgID: "dev_a:boot:1" });
    expect(first.stream).toBe(STREAMS.telemetry);
    expect(again.duplicate).toBe(true);

    const heard = svc.subscribe(subjects.heartbeat(ORG_X, "dev_a"), { max: 1 });
    await svc.flush();
    A.nc.publish(
      subjects.heartbeat(ORG_X, "dev_a"),
      encode(ZHeartbeat, {
        deviceId: "dev_a",
        orgId: ORG_X,
        boot: "boot",
        ts: Date.now(),
        uptimeS: 1,
        agentVersion: "test",
        meter: "model",
        modelId: null,
        variant: null,
        outboxDepth: 0,
        state: { batteryPct: null, powerState: "mains", cpuPct: null, memBytes: null, queueDepth: 0 },
      }),
    );
    for await (const m of heard) expect(m.subject).toBe("ew.org_x.dev.dev_a.evt.heartbeat");
  });

  it("lets a device watch its own assignment, read its org's policies and download its org's model", async () => {
    const deploy = await new Kvm(A.nc).open(KV_BUCKETS.deploy);
    const watch = await deploy.watch({ key: kvKeys.deviceAssignment(ORG_X, "dev_a") });
    for await (const e of watch) {
      expect(td.decode(e.value)).toBe("assignment of a");
      break;
    }
    const policy = await new Kvm(A.nc).open(KV_BUCKETS.policy, { allow_direct: true });
    expect(td.decode((await policy.get(kvKeys.groupPolicy(ORG_X, "grp_1")))?.value)).toBe("policy of x");

    const store = await openModelStore(A.nc);
    const stored = await (await openModelStore(svc)).info(`${ORG_X}/mdl_1/fp32.onnx`);
    const dest = join(dir, "a.onnx");
    await getObjectToFile(store, `${ORG_X}/mdl_1/fp32.onnx`, dest, {
      expectedSha256: stored?.metadata?.sha256 ?? "",
    });
    expect(new Uint8Array(await readFile(dest))).toEqual(modelBytes);
  });

  it("refuses a publish under another device's prefix, core or JetStream", async () => {
    const spy = svc.subscribe("ew.org_x.dev.dev_b.>");
    const got: string[] = [];
    void (async () => {
      for await (const m of spy) got.push(m.subject);
    })();
    await svc.flush();
    A.nc.publish(subjects.telemetryEnergy(ORG_X, "dev_b"), te.encode("forged"));
    A.nc.publish(subjects.heartbeat(ORG_X, "dev_b"), te.encode("forged"));
    await A.nc.flush();
    await expect
      .poll(() => A.errors.join("\n"))
      .toMatch(/Permissions Violation for Publish to "ew\.org_x\.dev\.dev_b\.evt\.heartbeat"/);
    await expect(
      jetstream(A.nc).publish(subjects.telemetryEnergy(ORG_X, "dev_b"), te.encode("{}"), { timeout: 2000 }),
    ).rejects.toThrow(/Permissions Violation/);
    await new Promise((r) => setTimeout(r, 200));
    spy.unsubscribe();
    expect(got).toEqual([]);
  });

  it("refuses subscriptions to another device's commands, to the shared inbox and to the whole tree", async () => {
    for (const subject of ["ew.org_x.dev.dev_b.cmd.>", "_INBOX.>", "ew.>", "ew.org_x.dev.*.cmd.restart"]) {
      A.nc.subscribe(subject);
      await A.nc.flush();
      await expect
        .poll(() => A.errors.join("\n"))
        .toContain(`Permissions Violation for Subscription to "${subject}"`);
    }
    // Its own commands still arrive.
    const cmd = A.nc.subscribe(subjects.deviceCommand(ORG_X, "dev_a", "restart"), { max: 1 });
    await A.nc.flush();
    svc.publish(subjects.deviceCommand(ORG_X, "dev_a", "restart"), te.encode("now"));
    for await (const m of cmd) expect(td.decode(m.data)).toBe("now");
  });

  it("refuses watching or reading another device's DEPLOY key, another org's POLICY keys and listing a bucket", async () => {
    const deploy = await new Kvm(A.nc).open(KV_BUCKETS.deploy, { allow_direct: true });
    await expect(deploy.watch({ key: kvKeys.deviceAssignment(ORG_X, "dev_b") })).rejects.toThrow(
      /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\.KV_DEPLOY\.[^"]+\.\$KV\.DEPLOY\.org_x\.dev_b"/,
    );
    await expect(deploy.get(kvKeys.deviceAssignment(ORG_X, "dev_b"))).rejects.toThrow(
      /Permissions Violation/,
    );
    await expect(deploy.watch({ key: "org_x.*" })).rejects.toThrow(/Permissions Violation/);
    await expect(deploy.watch()).rejects.toThrow(/Permissions Violation/);
    const policy = await new Kvm(A.nc).open(KV_BUCKETS.policy, { allow_direct: true });
    await expect(policy.get(kvKeys.groupPolicy(ORG_Y, "grp_9"))).rejects.toThrow(/Permissions Violation/);
    // The by-sequence APIs that would walk a whole stream.
    for (const api of [
      "$JS.API.STREAM.MSG.GET.KV_DEPLOY",
      "$JS.API.DIRECT.GET.KV_DEPLOY",
      "$JS.API.STREAM.INFO.KV_DEPLOY",
      "$JS.API.STREAM.NAMES",
      "$JS.API.CONSUMER.CREATE.KV_DEPLOY",
    ]) {
      await expect(A.nc.request(api, te.encode('{"seq":1}'), { timeout: 2000 })).rejects.toThrow(
        /Permissions Violation/,
      );
    }
    // A direct get on its own key cannot be turned into a by-sequence read: the server ignores the body.
    const own = await A.nc.request(
      `$JS.API.DIRECT.GET.KV_DEPLOY.$KV.DEPLOY.${kvKeys.deviceAssignment(ORG_X, "dev_a")}`,
      te.encode('{"seq":2}'),
      { timeout: 2000 },
    );
    expect(td.decode(own.data)).not.toBe("assignment of b");
    expect(own.headers?.get("Nats-Subject") ?? "").not.toContain("dev_b");
  });

  it("with one model bucket per org, a device of org Y cannot read org X's model by any route", async () => {
    const cPerOrg = await device(ORG_Y, "dev_c2", `MODELS_${ORG_Y}`);
    const nc = await connectAs(cPerOrg);
    const own = await new Objm(nc).open(`MODELS_${ORG_Y}`);
    expect((await own.getBlob(`${ORG_Y}/mdl_1/fp32.onnx`))?.length).toBe(9);

    await expect(new Objm(nc).open(`MODELS_${ORG_X}`)).rejects.toThrow(/Permissions Violation/);
    const blind = await new Objm(nc).open(`MODELS_${ORG_X}`, false);
    await expect(blind.get(`${ORG_X}/mdl_1/fp32.onnx`)).rejects.toThrow(/Permissions Violation/);
    // A consumer over every chunk of X's bucket, with wildcards in the API subject.
    const inbox = "_INBOX_dev_c2.evil";
    await expect(
      nc.request(
        `$JS.API.CONSUMER.CREATE.OBJ_MODELS_${ORG_X}.evil.$O.MODELS_${ORG_X}.C.>`,
        te.encode(
          JSON.stringify({
            stream_name: `OBJ_MODELS_${ORG_X}`,
            config: { name: "evil", filter_subject: `$O.MODELS_${ORG_X}.C.>`, deliver_subject: inbox },
          }),
        ),
        { timeout: 2000 },
      ),
    ).rejects.toThrow(/Permissions Violation/);
  });

  it("residual (documented in ADR 0003): in the shared MODELS bucket a device can read another org's objects", async () => {
    // Object subjects carry no org token ($O.MODELS.M.<base64 name>, $O.MODELS.C.<nuid>), and nats-server 2.9
    // matches a wildcard token in a published API subject against a `*` permission, so a permission to read
    // chunks by nuid is a permission to read every chunk. Per-org buckets (previous test) close this.
    const nc = await connectAs(C);
    const store = await openModelStore(nc);
    expect((await store.getBlob(`${ORG_X}/mdl_1/fp32.onnx`))?.length).toBe(modelBytes.length);
  });

  it("revoking a device drops its connection and refuses it from then on; other devices are unaffected", async () => {
    const bNc = await connectAs(B);
    const aStatus: string[] = [];
    void (async () => {
      for await (const s of A.nc.status()) aStatus.push(s.type);
    })();
    revocations[A.dev.key.publicKey] = Math.floor(Date.now() / 1000);
    const jwt = await publishAccount();
    expect(decodeAccountJwt(jwt).account.revocations).toHaveProperty(A.dev.key.publicKey);

    await expect.poll(() => aStatus, { timeout: 10_000 }).toContain("disconnect");
    await A.nc.close();
    await expect(connectAs(A.dev)).rejects.toMatchObject({ code: "CONNECT_FAILED" });
    await expect(connectAs(A.dev)).rejects.toThrow(/Authorization Violation|authorization|authentication/i);
    expect(bNc.isClosed()).toBe(false);
    await bNc.request(`$JS.API.INFO`, undefined, { timeout: 2000 });
  });

  it("rotation: the device's new key works, its old credentials are refused", async () => {
    const old = B;
    const rotated = await device(ORG_X, "dev_b"); // a new key pair made on the device, same device id
    const jwt = await revokeUsers({
      accountJwt: await encodeAppAccountJwt({
        operatorSeed: setup.operator.seed,
        accountPublicKey: setup.account.publicKey,
        signingKeys,
        revocations,
      }),
      operatorSeed: setup.operator.seed,
      userPublicKeys: [old.key.publicKey],
    });
    Object.assign(revocations, decodeAccountJwt(jwt).account.revocations);
    await pushAccountJwt(sys, jwt);

    await expect(connectAs(old)).rejects.toMatchObject({ code: "CONNECT_FAILED" });
    const nc = await connectAs(rotated);
    const ack = await jetstream(nc).publish(subjects.telemetryEnergy(ORG_X, "dev_b"), te.encode("{}"), {
      msgID: "dev_b:boot:1",
    });
    expect(ack.stream).toBe(STREAMS.telemetry);
    B = rotated;
  });

  it("removing an org's signing key from the account cuts off all of that org's devices at once", async () => {
    const c1 = await connectAs(C);
    const c2dev = await device(ORG_Y, "dev_c3");
    const c2 = await connectAs(c2dev);
    const bNc = await connectAs(B);
    const dropped = (nc: NatsConnection) => {
      const seen: string[] = [];
      void (async () => {
        for await (const s of nc.status()) seen.push(s.type);
      })();
      return seen;
    };
    const s1 = dropped(c1);
    const s2 = dropped(c2);
    signingKeys = signingKeys.filter((k) => k !== orgKeys[ORG_Y]?.publicKey);
    await publishAccount();
    await expect.poll(() => s1, { timeout: 10_000 }).toContain("disconnect");
    await expect.poll(() => s2, { timeout: 10_000 }).toContain("disconnect");
    await expect(connectAs(C)).rejects.toMatchObject({ code: "CONNECT_FAILED" });
    await expect(connectAs(await device(ORG_Y, "dev_new"))).rejects.toMatchObject({ code: "CONNECT_FAILED" });
    expect(bNc.isClosed()).toBe(false);
    const jsm = await jetstreamManager(svc);
    expect((await jsm.streams.info(STREAMS.telemetry)).state.messages).toBeGreaterThan(0);
  });
});

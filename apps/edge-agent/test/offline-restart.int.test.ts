/**
 * Power loss during a network outage: the agent restarts while the broker is unreachable and serves the last
 * assignment from its cache (saved with its policy in assignment.json), metering into the outbox; a removed
 * assignment is forgotten too.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { connectNats, ensureControlPlane, openModelStore, putObjectBytes } from "@edgewatt/nats";
import { startNatsServer } from "@edgewatt/nats/testing";
import { KV_BUCKETS, kvKeys, objectNames } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { afterAll, describe, expect, it } from "vitest";
import { startAgent } from "../src/agent/start-agent";
import { createRecordingLogger } from "../src/log";
import { statePaths } from "../src/state/paths";
import { findStatus } from "../src/state/status";
import {
  AUTOENCODER_IO,
  assignmentBytes,
  identityFor,
  MODELS_DIR,
  manifest,
  removeTempDirs,
  tempStateDir,
  waitFor,
  writeTestIdentity,
} from "./helpers";

const ORG = "org_off";
const DEVICE = "dev_off";

describe("restart without a network", () => {
  afterAll(async () => {
    await removeTempDirs();
  });

  it("serves the last assignment from the cache, metering into the outbox", async () => {
    const server = await startNatsServer();
    const nc = await connectNats({ servers: server.url, name: "offline-test" });
    await ensureControlPlane(nc);
    const bytes = new Uint8Array(await readFile(join(MODELS_DIR, "nab-conv-autoencoder.onnx")));
    const stored = await putObjectBytes(
      await openModelStore(nc),
      objectNames.modelOriginal(ORG, "mdl_off"),
      bytes,
    );
    const kv = await new Kvm(nc).open(KV_BUCKETS.deploy);
    await kv.put(
      kvKeys.deviceAssignment(ORG, DEVICE),
      assignmentBytes({
        deploymentId: "dep_off",
        orgId: ORG,
        deviceId: DEVICE,
        modelId: "mdl_off",
        modelName: "nab-conv-autoencoder",
        ladder: [manifest("fp32", stored.name, stored, AUTOENCODER_IO)],
        policy: { mode: "rule", artifact: undefined },
      }),
    );
    const stateDir = await tempStateDir();
    await writeTestIdentity(stateDir, identityFor(ORG, DEVICE, server.url));
    const first = await startAgent({
      stateDir,
      config: { meter: "model", rateHz: 20 },
      progress: false,
      log: createRecordingLogger(),
    });
    await waitFor("serving online", () => first.stats.inferences >= 5);
    await first.stop();
    expect((await stat(statePaths(stateDir).assignment)).mode & 0o777).toBe(0o600);
    await nc.close();
    await server.stop(); // the broker is gone for good

    const log = createRecordingLogger();
    const second = await startAgent({
      stateDir,
      config: { meter: "model", rateHz: 20 },
      flushMs: 100,
      progress: false,
      log,
    });
    try {
      await waitFor("serving offline from the cache", () => second.stats.inferences >= 10);
      expect(second.stats.connected).toBe(false);
      expect(second.stats.downloads).toBe(0);
      expect(log.entries.some((e) => e.msg.startsWith("serving the last assignment from the cache"))).toBe(
        true,
      );
      await waitFor("telemetry kept in the outbox", () => second.stats.outbox.depth > 0);
      const status = await findStatus(stateDir);
      expect(status?.assignment).toMatchObject({ deploymentId: "dep_off", policyMode: "rule" });
    } finally {
      await second.stop();
    }
  });
});

/**
 * The agent's model cache against a real object store: a download stopped midway (the agent shutting down)
 * resumes from its partial file on the next attempt and still ends sha256-verified; partial files of variants
 * no assignment wants any more are pruned.
 */
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  connectNats,
  ensureControlPlane,
  type NatsConnection,
  openModelStore,
  putObjectBytes,
} from "@edgewatt/nats";
import { startNatsServer, type TestNatsServer } from "@edgewatt/nats/testing";
import type { VariantManifest } from "@edgewatt/protocol";
import type { ObjectStore } from "@nats-io/obj";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentError } from "../src/errors";
import { ModelCache, sha256File } from "../src/models/model-cache";
import { AUTOENCODER_IO, manifest, removeTempDirs, tempStateDir } from "./helpers";

describe("model cache downloads (real object store)", () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let store: ObjectStore;
  let variant: VariantManifest;
  const bytes = new Uint8Array(6 * 1024 * 1024).map((_, i) => (i * 31 + (i >> 12)) % 251);

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: "cache-test" });
    await ensureControlPlane(nc);
    store = await openModelStore(nc);
    const stored = await putObjectBytes(store, "org_c/mdl_big/fp32.onnx", bytes);
    variant = manifest("fp32", stored.name, stored, AUTOENCODER_IO);
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    await removeTempDirs();
  });

  it("resumes a download stopped midway and verifies the whole file", async () => {
    const cache = new ModelCache(join(await tempStateDir(), "cache"));
    const stop = new AbortController();
    let seen = 0;
    const first = cache.ensure(store, variant, {
      modelId: "mdl_big",
      modelName: "big",
      signal: stop.signal,
      onProgress: (received) => {
        seen = received;
        if (received >= 3 * 1024 * 1024) stop.abort(new Error("shutting down"));
      },
    });
    await expect(first).rejects.toThrow(AgentError);
    await expect(first).rejects.toThrow(/download stopped .* resumes on the next start/);
    expect(seen).toBeLessThan(bytes.length);
    const names = await readdir(cache.dir);
    expect(names).toContain(`${variant.sha256}.onnx.part`);
    expect(names).not.toContain(`${variant.sha256}.onnx`);

    const progress: number[] = [];
    const second = await cache.ensure(store, variant, {
      modelId: "mdl_big",
      modelName: "big",
      onProgress: (received) => progress.push(received),
    });
    expect(second.downloaded).toBe(true);
    expect(second.resumedFromBytes).toBeGreaterThanOrEqual(1024 * 1024);
    expect(progress[0]).toBe(second.resumedFromBytes);
    expect(await sha256File(second.path)).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect((await readdir(cache.dir)).filter((n) => n.includes(".part"))).toEqual([]);
  });

  it("prunes the partial download of a variant no longer wanted", async () => {
    const cache = new ModelCache(join(await tempStateDir(), "cache"), { maxBytes: 64 * 1024 * 1024 });
    const stop = new AbortController();
    await expect(
      cache.ensure(store, variant, {
        modelId: "mdl_big",
        modelName: "big",
        signal: stop.signal,
        onProgress: (received) => {
          if (received >= 2 * 1024 * 1024) stop.abort(new Error("shutting down"));
        },
      }),
    ).rejects.toThrow(/download stopped/);
    cache.protect([variant.sha256]);
    await cache.prune();
    expect(await readdir(cache.dir)).toContain(`${variant.sha256}.onnx.part`);
    cache.protect([]);
    await cache.prune();
    expect((await readdir(cache.dir)).filter((n) => n.includes(".part"))).toEqual([]);
  });
});

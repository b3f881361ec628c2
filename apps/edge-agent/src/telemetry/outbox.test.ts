import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Outbox } from "./outbox";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("outbox", () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "ew-outbox-")), "outbox");
  });
  afterEach(async () => {
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  const append = (o: Outbox, i: number) =>
    o.append({
      subject: "ew.org_a.dev.dev_a.tele.energy",
      msgId: `dev_a:boot1:${i * 100}`,
      payload: bytes(`{"n":${i}}`),
    });

  it("keeps batches until they are acked, and replays the rest in order after a restart", async () => {
    const first = await Outbox.open(dir, { maxEntries: 100 });
    const a = await append(first, 0);
    await append(first, 1);
    await append(first, 2);
    expect(first.depth).toBe(3);
    await first.ack(a.id);
    expect(first.depth).toBe(2);

    // A new process opens the same directory: the two unacked batches are pending, oldest first, intact.
    const second = await Outbox.open(dir, { maxEntries: 100 });
    expect(second.depth).toBe(2);
    const pending = await Promise.all(second.pendingIds().map((id) => second.read(id)));
    expect(pending.map((e) => e?.msgId)).toEqual(["dev_a:boot1:100", "dev_a:boot1:200"]);
    expect(pending.map((e) => e && text(e.payload))).toEqual(['{"n":1}', '{"n":2}']);
    expect(pending[0]?.subject).toBe("ew.org_a.dev.dev_a.tele.energy");

    for (const e of pending) if (e) await second.ack(e.id);
    expect(second.depth).toBe(0);
    expect((await Outbox.open(dir, { maxEntries: 100 })).depth).toBe(0);
    expect(await Outbox.countPending(dir)).toBe(0);
  });

  it("writes private files (0600) in a private directory (0700)", async () => {
    const o = await Outbox.open(dir, { maxEntries: 10 });
    const e = await append(o, 0);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, e.id))).mode & 0o777).toBe(0o600);
  });

  it("past its cap drops the oldest batches and counts them", async () => {
    const o = await Outbox.open(dir, { maxEntries: 3 });
    for (let i = 0; i < 5; i++) await append(o, i);
    expect(o.depth).toBe(3);
    expect(o.stats.dropped).toBe(2);
    const kept = await Promise.all(o.pendingIds().map((id) => o.read(id)));
    expect(kept.map((e) => e?.msgId)).toEqual(["dev_a:boot1:200", "dev_a:boot1:300", "dev_a:boot1:400"]);
    expect((await readdir(dir)).length).toBe(3);

    // Reopening with a smaller cap trims the backlog the same way.
    const smaller = await Outbox.open(dir, { maxEntries: 1 });
    expect(smaller.depth).toBe(1);
    expect(smaller.stats.dropped).toBe(2);
    expect((await smaller.read(smaller.pendingIds()[0] ?? ""))?.msgId).toBe("dev_a:boot1:400");
  });

  it("removes and counts an unreadable entry instead of blocking the queue behind it", async () => {
    const o = await Outbox.open(dir, { maxEntries: 10 });
    const bad = await append(o, 0);
    await append(o, 1);
    await writeFile(join(dir, bad.id), "{ not json");
    const reopened = await Outbox.open(dir, { maxEntries: 10 });
    expect(await reopened.read(bad.id)).toBeNull();
    expect(reopened.stats.corrupt).toBe(1);
    expect(reopened.depth).toBe(1);
    expect((await reopened.read(reopened.pendingIds()[0] ?? ""))?.msgId).toBe("dev_a:boot1:100");
  });

  it("ignores leftovers of interrupted writes", async () => {
    const o = await Outbox.open(dir, { maxEntries: 10 });
    await append(o, 0);
    await writeFile(join(dir, "000000000000001-000000000.json.tmp-1-abcd"), "partial");
    const reopened = await Outbox.open(dir, { maxEntries: 10 });
    expect(reopened.depth).toBe(1);
    expect((await readdir(dir)).some((n) => n.includes(".tmp-"))).toBe(false);
  });
});

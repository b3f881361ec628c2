import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, type TestContext } from "vitest";
import { Outbox } from "./outbox";
import { mountTinyTmpfs, type TinyTmpfs } from "./tiny-tmpfs.test-helper";

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

  it("replays past every kind of bad file a previous run (or a person) left, in order", async () => {
    const o = await Outbox.open(dir, { maxEntries: 100 });
    const good = [await append(o, 0), await append(o, 1), await append(o, 2)];
    // Named like entries (so they sort before and after the good ones) but not what the outbox writes.
    await writeFile(join(dir, "000000000000000-000000001.json"), ""); // empty
    await writeFile(join(dir, "000000000000000-000000002.json"), new Uint8Array([0xff, 0xfe, 0x00, 0x80])); // binary
    await writeFile(join(dir, "000000000000000-000000003.json"), JSON.stringify({ subject: "x" })); // wrong schema
    await writeFile(
      join(dir, "000000000000000-000000004.json"),
      '{"subject":"a","msgId":"b","createdAt":1,"payl',
    ); // cut short
    await mkdir(join(dir, "000000000000000-000000005.json")); // a directory
    await writeFile(join(dir, "999999999999999-000000000.json"), "[]"); // after every good one
    await writeFile(join(dir, "notes.txt"), "not an entry"); // ignored: not an entry name

    const reopened = await Outbox.open(dir, { maxEntries: 100 });
    expect(reopened.depth).toBe(3 + 6);
    const read = [];
    for (const id of reopened.pendingIds()) read.push(await reopened.read(id));
    expect(read.filter((e) => e !== null).map((e) => e?.msgId)).toEqual(good.map((g) => g.msgId));
    expect(reopened.stats.corrupt).toBe(6);
    expect(reopened.depth).toBe(3);
    // Unparseable files are removed; the directory (unreadable, not ours to delete) is left for the operator.
    const left = (await readdir(dir)).sort();
    expect(left).toEqual([...good.map((g) => g.id), "000000000000000-000000005.json", "notes.txt"].sort());
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

describe("outbox on a full disk (a real 64 KiB tmpfs)", () => {
  let base: string;
  let fs: TinyTmpfs | string;
  let dir: string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), "ew-outbox-full-"));
    fs = await mountTinyTmpfs(join(base, "mnt"));
    dir = join(base, "mnt", "outbox");
  });
  afterEach(async () => {
    if (typeof fs !== "string") await fs.unmount();
    await rm(base, { recursive: true, force: true });
  });

  /** The mounted tmpfs, or skips the test saying why it could not be mounted. */
  const tmpfs = (ctx: TestContext): TinyTmpfs => {
    if (typeof fs === "string") {
      console.warn(`skipped: ${fs}`);
      return ctx.skip(fs);
    }
    return fs;
  };
  const append = (o: Outbox, i: number) =>
    o.append({
      subject: "ew.org_a.dev.dev_a.tele.energy",
      msgId: `dev_a:boot1:${i * 10}`,
      payload: bytes(`{"n":${i},"pad":"${"x".repeat(200)}"}`),
    });
  const msgIds = async (o: Outbox) => {
    const out: Array<string | undefined> = [];
    for (const id of o.pendingIds()) out.push((await o.read(id))?.msgId);
    return out;
  };
  const onDisk = async () => (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();

  it("holds what the disk refuses in memory, in order, and writes it to disk once space returns", async (ctx) => {
    const disk = tmpfs(ctx);
    const o = await Outbox.open(dir, { maxEntries: 100, retryMinMs: 50 });
    expect((await append(o, 0)).stored).toBe("disk");
    expect((await append(o, 1)).stored).toBe("disk");
    await disk.fill();

    const held = [await append(o, 2), await append(o, 3), await append(o, 4)];
    expect(held.map((e) => e.stored)).toEqual(["memory", "memory", "memory"]);
    expect(o.stats).toMatchObject({ depth: 5, heldInMemory: 3, appended: 5, dropped: 0 });
    expect(o.stats.outboxWriteFailures).toBeGreaterThanOrEqual(1);
    expect(o.problem?.code).toBe("ENOSPC");
    expect(o.problem?.summary).toBe(
      `outbox disk full at ${dir}: free space on that filesystem (check with: df -h ${dir})`,
    );
    // One queue, in append order: the disk part first, the held tail after it, with their Msg-Ids.
    expect(await msgIds(o)).toEqual([0, 1, 2, 3, 4].map((i) => `dev_a:boot1:${i * 10}`));
    expect(await onDisk()).toEqual(o.pendingIds().slice(0, 2));
    expect(await Outbox.countPending(dir)).toBe(2);

    // A held batch can be acked straight from memory (published while the disk was full).
    await o.ack(held[0]?.id ?? "");
    expect(o.stats).toMatchObject({ depth: 4, heldInMemory: 2, acked: 1 });

    await disk.free();
    await new Promise((r) => setTimeout(r, 60)); // past the back-off
    expect((await append(o, 5)).stored).toBe("disk");
    expect(o.problem).toBeNull();
    expect(o.stats.heldInMemory).toBe(0);
    expect(o.movedToDisk).toBe(2);
    // On disk in the same order under the same names: a restart now replays everything that is pending.
    expect(await onDisk()).toEqual(o.pendingIds());
    const reopened = await Outbox.open(dir, { maxEntries: 100 });
    expect(await msgIds(reopened)).toEqual([0, 1, 3, 4, 5].map((i) => `dev_a:boot1:${i * 10}`));
    const stored = JSON.parse(await readFile(join(dir, held[2]?.id ?? ""), "utf8")) as { payload: string };
    expect(stored.payload).toBe(text(held[2]?.payload ?? new Uint8Array()));
  });

  it("never writes a batch to disk ahead of an older held one, so a crash can only lose the newest", async (ctx) => {
    const disk = tmpfs(ctx);
    const o = await Outbox.open(dir, { maxEntries: 100, retryMinMs: 60_000 });
    await append(o, 0);
    await disk.fill();
    await append(o, 1); // held; the next disk attempt waits 60 s…
    const failures = o.stats.outboxWriteFailures;
    await disk.free();
    // …so this one is held too even though there is room now: it must not overtake batch 1 on disk.
    expect((await append(o, 2)).stored).toBe("memory");
    expect(o.stats.outboxWriteFailures).toBe(failures); // and the back-off saved a pointless write
    expect(await Outbox.countPending(dir)).toBe(1);

    // Acking an on-disk batch frees space: the next append tries the disk at once, oldest first.
    await o.ack(o.pendingIds()[0] ?? "");
    expect((await append(o, 3)).stored).toBe("disk");
    expect(await onDisk()).toEqual(o.pendingIds());
    expect(await msgIds(o)).toEqual([1, 2, 3].map((i) => `dev_a:boot1:${i * 10}`));
  });

  it("past the memory caps drops the oldest held batches, counted, and keeps the disk ones", async (ctx) => {
    const disk = tmpfs(ctx);
    const o = await Outbox.open(dir, { maxEntries: 100, maxMemoryEntries: 2, retryMinMs: 60_000 });
    await append(o, 0);
    await disk.fill();
    for (let i = 1; i <= 4; i++) await append(o, i);
    expect(o.stats).toMatchObject({ depth: 3, heldInMemory: 2, dropped: 2 });
    expect(await msgIds(o)).toEqual([0, 3, 4].map((i) => `dev_a:boot1:${i * 10}`));

    // The byte cap: each payload is ~215 bytes, so 500 bytes hold two; a batch bigger than the cap is dropped.
    const byBytes = await Outbox.open(join(dir, "..", "bytes"), { maxEntries: 100, maxMemoryBytes: 500 });
    for (let i = 0; i < 3; i++) expect((await append(byBytes, i)).stored).toBe("memory");
    expect(byBytes.stats).toMatchObject({ depth: 2, heldInMemory: 2, dropped: 1 });
    expect(await msgIds(byBytes)).toEqual([1, 2].map((i) => `dev_a:boot1:${i * 10}`));
    const huge = await byBytes.append({
      subject: "s",
      msgId: "dev_a:boot1:999",
      payload: new Uint8Array(600),
    });
    expect(huge.stored).toBe("dropped");
    expect(byBytes.stats).toMatchObject({ depth: 2, dropped: 2 });

    // The overall cap counts held batches too, and drops the oldest wherever it is (here: on disk).
    const small = await Outbox.open(join(dir, "..", "small"), { maxEntries: 2, maxMemoryEntries: 10 });
    await append(small, 0); // fails to write (the disk is full): held
    await append(small, 1);
    await append(small, 2);
    expect(small.stats).toMatchObject({ depth: 2, heldInMemory: 2, dropped: 1 });
    expect(await msgIds(small)).toEqual([1, 2].map((i) => `dev_a:boot1:${i * 10}`));
  });

  it("keeps going on a disk that turns read-only, and opens on one", async (ctx) => {
    const disk = tmpfs(ctx);
    const o = await Outbox.open(dir, { maxEntries: 10 });
    const first = await append(o, 0);
    await disk.remountReadOnly();
    expect((await append(o, 1)).stored).toBe("memory");
    expect(o.problem?.code).toBe("EROFS");
    expect(o.problem?.summary).toBe(
      `outbox filesystem is read-only at ${dir}: remount it read-write or move --state-dir to a writable disk`,
    );
    // Acked but impossible to delete: forgotten (a later replay is a duplicate JetStream and Postgres drop).
    for (const id of o.pendingIds()) await o.ack(id);
    expect(o.stats).toMatchObject({ depth: 0, heldInMemory: 0, acked: 2 });
    expect(await onDisk()).toEqual([first.id]);

    const fresh = await Outbox.open(join(dir, "never-created"), { maxEntries: 10 });
    expect(fresh.problem?.code).toBe("EROFS");
    expect((await append(fresh, 2)).stored).toBe("memory");
    expect(await msgIds(fresh)).toEqual(["dev_a:boot1:20"]);
  });
});

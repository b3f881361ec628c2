/**
 * The telemetry outbox: every batch is written here before it is published and removed only after JetStream
 * acknowledges it, so nothing measured while the broker is unreachable (or while the agent restarts) is lost.
 * One file per batch, named so that lexical order is append order; each keeps its original Msg-Id, so a replayed
 * batch is deduplicated by JetStream and by Postgres. Bounded: past `maxEntries` the oldest batches are dropped
 * and counted.
 */
import { readdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ensurePrivateDir, writePrivateFile } from "../state/paths";

const ZStoredEntry = z.object({
  subject: z.string().min(1),
  msgId: z.string().min(1),
  createdAt: z.number(),
  /** The encoded message (the codec's JSON envelope), as text. */
  payload: z.string(),
});

export interface OutboxEntry {
  id: string;
  subject: string;
  msgId: string;
  createdAt: number;
  payload: Uint8Array;
}

export interface OutboxStats {
  depth: number;
  appended: number;
  acked: number;
  /** Batches dropped because the outbox was full. */
  dropped: number;
  /** Unreadable entry files found (and removed). */
  corrupt: number;
}

const ENTRY = /^\d{15}-\d{9}\.json$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Outbox {
  private readonly ids: string[];
  private counter = 0;
  readonly stats: OutboxStats;

  private constructor(
    readonly dir: string,
    readonly maxEntries: number,
    ids: string[],
  ) {
    this.ids = ids;
    this.stats = { depth: ids.length, appended: 0, acked: 0, dropped: 0, corrupt: 0 };
  }

  /** Opens (creating if needed) the outbox in `dir`; batches left by a previous run are pending again. */
  static async open(dir: string, opts: { maxEntries: number }): Promise<Outbox> {
    if (!Number.isInteger(opts.maxEntries) || opts.maxEntries < 1) {
      throw new RangeError(`outbox maxEntries must be a positive integer, got ${opts.maxEntries}`);
    }
    await ensurePrivateDir(dir);
    const names = await readdir(dir);
    // Temp files of writes a crash interrupted were never appended: remove them.
    await Promise.all(names.filter((n) => n.includes(".tmp-")).map((n) => rm(join(dir, n), { force: true })));
    const ids = names.filter((n) => ENTRY.test(n)).sort();
    const outbox = new Outbox(dir, opts.maxEntries, ids);
    await outbox.enforceCap();
    return outbox;
  }

  /** Pending batches in `dir`, read without opening (or changing) the outbox. */
  static async countPending(dir: string): Promise<number> {
    const names = await readdir(dir).catch(() => [] as string[]);
    return names.filter((n) => ENTRY.test(n)).length;
  }

  get depth(): number {
    return this.ids.length;
  }

  /** Ids of pending entries, oldest first. */
  pendingIds(): string[] {
    return [...this.ids];
  }

  async append(entry: { subject: string; msgId: string; payload: Uint8Array }): Promise<OutboxEntry> {
    const createdAt = Date.now();
    const id = `${String(createdAt).padStart(15, "0")}-${String(this.counter++ % 1e9).padStart(9, "0")}.json`;
    const stored = {
      subject: entry.subject,
      msgId: entry.msgId,
      createdAt,
      payload: decoder.decode(entry.payload),
    };
    await writePrivateFile(join(this.dir, id), JSON.stringify(stored));
    this.ids.push(id);
    this.stats.appended++;
    await this.enforceCap();
    this.stats.depth = this.ids.length;
    return { id, createdAt, ...entry };
  }

  /**
   * Reads a pending entry; null when it is no longer pending (acked or dropped). An unreadable file is removed and
   * counted rather than blocking everything queued behind it.
   */
  async read(id: string): Promise<OutboxEntry | null> {
    if (!this.ids.includes(id)) return null;
    let text: string;
    try {
      text = await readFile(join(this.dir, id), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      this.forget(id);
      return null;
    }
    let parsed: z.infer<typeof ZStoredEntry> | null = null;
    try {
      const result = ZStoredEntry.safeParse(JSON.parse(text));
      parsed = result.success ? result.data : null;
    } catch {
      parsed = null;
    }
    if (!parsed) {
      this.stats.corrupt++;
      await this.remove(id);
      return null;
    }
    return {
      id,
      subject: parsed.subject,
      msgId: parsed.msgId,
      createdAt: parsed.createdAt,
      payload: encoder.encode(parsed.payload),
    };
  }

  /** Removes an entry once the broker has acknowledged it. */
  async ack(id: string): Promise<void> {
    if (!this.ids.includes(id)) return;
    await this.remove(id);
    this.stats.acked++;
  }

  private async enforceCap(): Promise<void> {
    while (this.ids.length > this.maxEntries) {
      const oldest = this.ids[0];
      if (!oldest) break;
      await this.remove(oldest);
      this.stats.dropped++;
    }
    this.stats.depth = this.ids.length;
  }

  private async remove(id: string): Promise<void> {
    this.forget(id);
    await unlink(join(this.dir, id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }

  private forget(id: string): void {
    const i = this.ids.indexOf(id);
    if (i >= 0) this.ids.splice(i, 1);
    this.stats.depth = this.ids.length;
  }
}

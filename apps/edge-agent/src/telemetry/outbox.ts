/**
 * The telemetry outbox: every batch is written here before it is published and removed only after JetStream
 * acknowledges it, so nothing measured while the broker is unreachable (or while the agent restarts) is lost.
 * One file per batch, named so that lexical order is append order; each keeps its original Msg-Id, so a replayed
 * batch is deduplicated by JetStream and by Postgres.
 *
 * When the disk refuses a write (full, over quota, read-only, I/O error) the batch is held in memory instead —
 * same id, same Msg-Id, same place in the queue — and is published from there, or written to disk as soon as the
 * disk accepts writes again. Held batches are always the newest ones (a batch goes to disk only once every older
 * held batch did), so a crash can only lose the tail of the queue, never a batch in the middle of it.
 *
 * Bounded: past `maxEntries` pending batches (disk and memory together), or past the memory caps, the oldest
 * batches are dropped and counted.
 */
import { mkdir, readdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { errorMessage } from "../errors";
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
  /** Pending batches: on disk plus held in memory. */
  depth: number;
  appended: number;
  acked: number;
  /** Batches dropped because the outbox (or its in-memory part) was full. */
  dropped: number;
  /** Bad entry files found: unparseable ones are removed, unreadable ones skipped (left for the operator). */
  corrupt: number;
  /** Pending batches held in memory because the disk refused them (included in `depth`). */
  heldInMemory: number;
  /** Failed writes (and removals) in the outbox directory, retries included. */
  outboxWriteFailures: number;
}

export interface OutboxOptions {
  /** Most pending batches, on disk and in memory together. */
  maxEntries: number;
  /** Most batches held in memory while the disk refuses writes (default 1000). */
  maxMemoryEntries?: number;
  /** Most payload bytes held in memory (default 32 MiB). */
  maxMemoryBytes?: number;
  /** First wait before trying the disk again after a failed write; doubles up to `retryMaxMs` (default 1 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** Why the outbox currently cannot write to its directory (null once a write succeeded again). */
export interface OutboxWriteProblem {
  /** errno code (ENOSPC, EDQUOT, EROFS, EIO, …) or "UNKNOWN". */
  code: string;
  /** The operating system's message of the last failure. */
  message: string;
  /** One line for the operator: what is wrong and what to do. */
  summary: string;
  since: number;
}

export const OUTBOX_DEFAULTS = {
  maxMemoryEntries: 1000,
  maxMemoryBytes: 32 * 1024 * 1024,
  retryMinMs: 1000,
  retryMaxMs: 30_000,
} as const;

/** Errors of the storage itself: the outbox keeps running on memory instead of failing. */
const STORAGE_ERRORS = new Set(["ENOSPC", "EDQUOT", "EROFS", "EIO"]);

/** What to tell the operator about a failed write, by errno code. */
export function describeWriteProblem(code: string, dir: string): string {
  switch (code) {
    case "ENOSPC":
      return `outbox disk full at ${dir}: free space on that filesystem (check with: df -h ${dir})`;
    case "EDQUOT":
      return `outbox disk quota exceeded at ${dir}: raise the agent user's quota or free space on that filesystem`;
    case "EROFS":
      return `outbox filesystem is read-only at ${dir}: remount it read-write or move --state-dir to a writable disk`;
    case "EIO":
      return `outbox disk I/O error at ${dir}: check the disk (dmesg) and replace it if the errors persist`;
    default:
      return `cannot write the outbox at ${dir} (${code}): fix the directory (permissions, space) or move --state-dir`;
  }
}

const ENTRY = /^\d{15}-\d{9}\.json$/;
/** Read errors worth another try before the entry is skipped; anything else (EISDIR, EACCES…) is skipped at once. */
const TRANSIENT_READ_ERRORS = new Set(["EIO", "EAGAIN", "EBUSY", "EMFILE", "ENFILE", "ENOMEM"]);
const MAX_READ_ATTEMPTS = 3;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" && code.length > 0 ? code : "UNKNOWN";
}

export class Outbox {
  /** Pending ids, oldest first (lexical order is append order). The held ones are always the last. */
  private readonly ids: string[];
  /** The in-memory tail of `ids`, in the same order. */
  private readonly held = new Map<string, OutboxEntry>();
  private heldBytes = 0;
  private readonly readFailures = new Map<string, number>();
  private counter = 0;
  private lock: Promise<unknown> = Promise.resolve();
  private writeProblem: OutboxWriteProblem | null = null;
  private retryAt = 0;
  private retryDelay: number;
  private moved = 0;
  readonly stats: OutboxStats;
  readonly maxMemoryEntries: number;
  readonly maxMemoryBytes: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;

  private constructor(
    readonly dir: string,
    readonly maxEntries: number,
    ids: string[],
    opts: OutboxOptions,
  ) {
    this.ids = ids;
    this.maxMemoryEntries = opts.maxMemoryEntries ?? OUTBOX_DEFAULTS.maxMemoryEntries;
    this.maxMemoryBytes = opts.maxMemoryBytes ?? OUTBOX_DEFAULTS.maxMemoryBytes;
    this.retryMinMs = opts.retryMinMs ?? OUTBOX_DEFAULTS.retryMinMs;
    this.retryMaxMs = opts.retryMaxMs ?? OUTBOX_DEFAULTS.retryMaxMs;
    this.retryDelay = this.retryMinMs;
    this.stats = {
      depth: ids.length,
      appended: 0,
      acked: 0,
      dropped: 0,
      corrupt: 0,
      heldInMemory: 0,
      outboxWriteFailures: 0,
    };
  }

  /**
   * Opens (creating if needed) the outbox in `dir`; batches left by a previous run are pending again. A disk that
   * refuses to create the directory (full, read-only, I/O error) does not stop the agent: the outbox starts
   * empty and holds batches in memory until the disk accepts writes.
   */
  static async open(dir: string, opts: OutboxOptions): Promise<Outbox> {
    for (const [key, value] of Object.entries(opts)) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new RangeError(`outbox ${key} must be a positive integer, got ${value}`);
      }
    }
    if (opts.maxEntries === undefined) throw new RangeError("outbox maxEntries is required");
    let unusable: unknown = null;
    try {
      await ensurePrivateDir(dir);
    } catch (err) {
      // A recursive mkdir reports some refusals (EROFS) as ENOENT; one plain mkdir says what the disk says.
      const real = await mkdir(dir).then(
        () => err,
        (e: unknown) => e,
      );
      if (!STORAGE_ERRORS.has(errorCode(real))) throw err;
      unusable = real;
    }
    const names = await readdir(dir).catch((err: unknown) => {
      if (unusable && errorCode(err) === "ENOENT") return [] as string[];
      throw err;
    });
    // Temp files of writes a crash (or a full disk) interrupted were never appended: remove them.
    await Promise.all(
      names
        .filter((n) => n.includes(".tmp-"))
        .map((n) => rm(join(dir, n), { force: true }).catch(() => undefined)),
    );
    const ids = names.filter((n) => ENTRY.test(n)).sort();
    const outbox = new Outbox(dir, opts.maxEntries, ids, opts);
    if (unusable) outbox.noteWriteFailure(unusable);
    await outbox.enforceCaps();
    return outbox;
  }

  /** Pending batches in `dir` (on disk), read without opening (or changing) the outbox. */
  static async countPending(dir: string): Promise<number> {
    const names = await readdir(dir).catch(() => [] as string[]);
    return names.filter((n) => ENTRY.test(n)).length;
  }

  get depth(): number {
    return this.ids.length;
  }

  /** Why writes currently fail, or null while the disk accepts them. */
  get problem(): OutboxWriteProblem | null {
    return this.writeProblem;
  }

  /** Batches written to disk after having been held in memory, since the outbox was opened. */
  get movedToDisk(): number {
    return this.moved;
  }

  /** Ids of pending entries, oldest first. */
  pendingIds(): string[] {
    return [...this.ids];
  }

  /** True when the pending entry `id` is held in memory (not on disk). */
  isHeld(id: string): boolean {
    return this.held.has(id);
  }

  /**
   * Queues a batch: on disk, or in memory when the disk refuses it (or refused an older batch still held).
   * Never rejects because of the disk; `stored` says where the batch went ("dropped": straight past the memory
   * caps, e.g. a batch larger than `maxMemoryBytes` on a disk that refuses it).
   */
  append(entry: {
    subject: string;
    msgId: string;
    payload: Uint8Array;
  }): Promise<OutboxEntry & { stored: "disk" | "memory" | "dropped" }> {
    return this.exclusive(async () => {
      const createdAt = Date.now();
      const id = `${String(createdAt).padStart(15, "0")}-${String(this.counter++ % 1e9).padStart(9, "0")}.json`;
      const queued: OutboxEntry = { id, createdAt, ...entry };
      // The new batch joins the tail; the tail then goes to disk oldest first, as far as the disk lets it.
      this.ids.push(id);
      this.hold(queued);
      this.stats.appended++;
      await this.persistHeldLocked(false, id);
      await this.enforceCaps();
      const stored = this.held.has(id) ? "memory" : this.ids.includes(id) ? "disk" : "dropped";
      return { ...queued, stored };
    });
  }

  /**
   * Writes held batches to disk, oldest first, stopping at the first refusal; resolves to how many were written.
   * Unless `force`, does nothing while the back-off after the last failure runs.
   */
  persistHeld(opts: { force?: boolean } = {}): Promise<number> {
    return this.exclusive(async () => {
      const n = await this.persistHeldLocked(opts.force ?? false);
      this.updateGauges();
      return n;
    });
  }

  /**
   * Reads a pending entry; null when it is no longer pending (acked or dropped). A bad entry never blocks the
   * queue behind it: an unparseable file is removed and counted; a file that cannot be read is counted and
   * skipped for this run but left in place (a transient error such as EIO is retried a few times first).
   */
  async read(id: string): Promise<OutboxEntry | null> {
    const held = this.held.get(id);
    if (held) return { ...held };
    if (!this.ids.includes(id)) return null;
    let text: string;
    try {
      text = await readFile(join(this.dir, id), "utf8");
    } catch (err) {
      const code = errorCode(err);
      if (code === "ENOENT") {
        await this.exclusive(async () => this.forget(id));
        return null;
      }
      const attempts = (this.readFailures.get(id) ?? 0) + 1;
      this.readFailures.set(id, attempts);
      if (TRANSIENT_READ_ERRORS.has(code) && attempts < MAX_READ_ATTEMPTS) throw err;
      await this.setAside(id, { removeFile: false });
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
      await this.setAside(id, { removeFile: true });
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

  /**
   * Removes an entry once the broker has acknowledged it. A file that cannot be removed (read-only disk) is
   * forgotten anyway: replayed by a later run, it is a duplicate that JetStream and Postgres discard.
   */
  ack(id: string): Promise<void> {
    return this.exclusive(async () => {
      if (!this.ids.includes(id)) return;
      if (this.held.has(id)) {
        this.unhold(id);
      } else if (await this.unlinkEntry(id)) {
        // Space was freed: the next append tries the disk again without waiting for the back-off.
        this.retryAt = 0;
      }
      this.forget(id);
      this.stats.acked++;
    });
  }

  /** Runs `fn` after every earlier mutation: appends, acks and persists never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** `fresh`: the batch appended by this call (written at once, it does not count as moved from memory). */
  private async persistHeldLocked(force: boolean, fresh?: string): Promise<number> {
    if (this.held.size === 0) return 0;
    if (!force && Date.now() < this.retryAt) return 0;
    let written = 0;
    for (const entry of [...this.held.values()]) {
      const stored = {
        subject: entry.subject,
        msgId: entry.msgId,
        createdAt: entry.createdAt,
        payload: decoder.decode(entry.payload),
      };
      try {
        await writePrivateFile(join(this.dir, entry.id), JSON.stringify(stored));
      } catch (err) {
        this.noteWriteFailure(err);
        return written;
      }
      this.unhold(entry.id);
      written++;
      if (entry.id !== fresh) this.moved++;
    }
    this.writeProblem = null;
    this.retryDelay = this.retryMinMs;
    this.retryAt = 0;
    return written;
  }

  private noteWriteFailure(err: unknown): void {
    this.stats.outboxWriteFailures++;
    const code = errorCode(err);
    const now = Date.now();
    this.writeProblem = {
      code,
      message: errorMessage(err),
      summary: describeWriteProblem(code, this.dir),
      since: this.writeProblem?.since ?? now,
    };
    this.retryAt = now + this.retryDelay;
    this.retryDelay = Math.min(this.retryMaxMs, this.retryDelay * 2);
  }

  private hold(entry: OutboxEntry): void {
    this.held.set(entry.id, entry);
    this.heldBytes += entry.payload.byteLength;
    this.updateGauges();
  }

  private unhold(id: string): void {
    const entry = this.held.get(id);
    if (!entry) return;
    this.held.delete(id);
    this.heldBytes -= entry.payload.byteLength;
    this.updateGauges();
  }

  /** Drops the oldest batches past the caps: overall first, then the memory caps (oldest held batch first). */
  private async enforceCaps(): Promise<void> {
    while (this.ids.length > this.maxEntries) {
      const oldest = this.ids[0];
      if (oldest === undefined) break;
      await this.drop(oldest);
    }
    // A batch that alone exceeds the byte cap can never be held: it goes, not the older ones.
    for (const [id, entry] of this.held) {
      if (entry.payload.byteLength > this.maxMemoryBytes) await this.drop(id);
    }
    while (this.held.size > this.maxMemoryEntries || this.heldBytes > this.maxMemoryBytes) {
      const oldest = this.held.keys().next().value;
      if (oldest === undefined) break;
      await this.drop(oldest);
    }
    this.updateGauges();
  }

  private async drop(id: string): Promise<void> {
    if (this.held.has(id)) this.unhold(id);
    else await this.unlinkEntry(id);
    this.forget(id);
    this.stats.dropped++;
  }

  /** A bad entry: counted and forgotten; an unparseable file is also removed (when the disk allows). */
  private setAside(id: string, opts: { removeFile: boolean }): Promise<void> {
    return this.exclusive(async () => {
      if (!this.ids.includes(id)) return;
      this.stats.corrupt++;
      if (opts.removeFile) await this.unlinkEntry(id);
      this.forget(id);
    });
  }

  /** Unlinks an entry file; false (counted, never thrown) when the disk refuses. */
  private async unlinkEntry(id: string): Promise<boolean> {
    try {
      await unlink(join(this.dir, id));
      return true;
    } catch (err) {
      const code = errorCode(err);
      if (code === "ENOENT") return true;
      // EISDIR/EPERM: not a file we wrote; leave it for the operator. Anything else is the disk failing.
      if (code !== "EISDIR" && code !== "EPERM") this.noteWriteFailure(err);
      return false;
    }
  }

  private forget(id: string): void {
    const i = this.ids.indexOf(id);
    if (i >= 0) this.ids.splice(i, 1);
    this.readFailures.delete(id);
    this.updateGauges();
  }

  private updateGauges(): void {
    this.stats.depth = this.ids.length;
    this.stats.heldInMemory = this.held.size;
  }
}

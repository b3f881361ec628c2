/**
 * Holds what serves requests (the active deployment). A request leases the current value for its whole run;
 * `swap` installs a new one atomically between requests, and the old one is released once its last lease ends.
 */

export interface Releasable {
  release(): Promise<void>;
}

interface Entry<T> {
  value: T;
  leases: number;
  retired: boolean;
}

export interface SlotLease<T> {
  value: T;
  release(): void;
}

export class Slot<T extends Releasable> {
  private current: Entry<T> | null = null;
  private readonly releasing = new Set<Promise<void>>();

  get value(): T | null {
    return this.current?.value ?? null;
  }

  acquire(): SlotLease<T> | null {
    const entry = this.current;
    if (!entry) return null;
    entry.leases++;
    let released = false;
    return {
      value: entry.value,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        if (entry.retired && entry.leases === 0) this.dispose(entry);
      },
    };
  }

  /** Installs `next` (or nothing) and retires the previous value. */
  swap(next: T | null): T | null {
    const prev = this.current;
    this.current = next ? { value: next, leases: 0, retired: false } : null;
    if (prev) {
      prev.retired = true;
      if (prev.leases === 0) this.dispose(prev);
    }
    return prev?.value ?? null;
  }

  /** Retires the current value and waits until everything is released. */
  async close(): Promise<void> {
    this.swap(null);
    while (this.releasing.size > 0) await Promise.all([...this.releasing]);
  }

  private dispose(entry: Entry<T>): void {
    const p = entry.value
      .release()
      .catch(() => undefined)
      .finally(() => this.releasing.delete(p));
    this.releasing.add(p);
  }
}

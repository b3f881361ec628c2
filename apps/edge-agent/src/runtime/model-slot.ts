/**
 * Holds the model that serves requests. A request leases the current model for its whole run; `swap` installs a
 * new one atomically between requests, and the old session is released once its last lease ends.
 */
import type { LoadedModel } from "./load-session";

interface Entry {
  model: LoadedModel;
  leases: number;
  retired: boolean;
}

export interface ModelLease {
  model: LoadedModel;
  release(): void;
}

export class ModelSlot {
  private current: Entry | null = null;
  private readonly releasing = new Set<Promise<void>>();

  get model(): LoadedModel | null {
    return this.current?.model ?? null;
  }

  acquire(): ModelLease | null {
    const entry = this.current;
    if (!entry) return null;
    entry.leases++;
    let released = false;
    return {
      model: entry.model,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        if (entry.retired && entry.leases === 0) this.dispose(entry);
      },
    };
  }

  /** Installs `next` (or nothing) and retires the previous model. */
  swap(next: LoadedModel | null): LoadedModel | null {
    const prev = this.current;
    this.current = next ? { model: next, leases: 0, retired: false } : null;
    if (prev) {
      prev.retired = true;
      if (prev.leases === 0) this.dispose(prev);
    }
    return prev?.model ?? null;
  }

  /** Retires the current model and waits until every session is released. */
  async close(): Promise<void> {
    this.swap(null);
    while (this.releasing.size > 0) await Promise.all([...this.releasing]);
  }

  private dispose(entry: Entry): void {
    const p = entry.model.session
      .release()
      .catch(() => undefined)
      .finally(() => this.releasing.delete(p));
    this.releasing.add(p);
  }
}

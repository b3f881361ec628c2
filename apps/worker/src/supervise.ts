/**
 * Keeps a consumer loop running. `runConsumer` loops survive bad messages on their own; this restarts a
 * loop that ended for another reason (consumer deleted, connection hiccup) after a short backoff, and adds
 * up its counters across restarts.
 */
import type { ConsumerStats, Logger, RunningConsumer } from "@edgewatt/nats";
import { errorMessage } from "./log";

export interface SupervisedConsumer {
  /** Cumulative counters of the underlying loops (malformed messages are `invalid`). */
  readonly stats: ConsumerStats;
  stop(): Promise<void>;
}

export async function superviseConsumer(
  name: string,
  start: () => Promise<RunningConsumer>,
  log: Logger,
  opts: { restartDelayMs?: number } = {},
): Promise<SupervisedConsumer> {
  const retired: ConsumerStats = { handled: 0, invalid: 0, failed: 0 };
  let current: RunningConsumer | null = await start();
  let stopping = false;
  let wake: (() => void) | null = null;

  const retire = (c: RunningConsumer) => {
    retired.handled += c.stats.handled;
    retired.invalid += c.stats.invalid;
    retired.failed += c.stats.failed;
  };

  const loop = (async () => {
    while (!stopping && current) {
      const running: RunningConsumer = current;
      const outcome = await running.done.then(
        () => "ended",
        (err: unknown) => `failed: ${errorMessage(err)}`,
      );
      if (stopping) return;
      retire(running);
      current = null;
      log.error({ consumer: name, outcome }, "consumer loop stopped unexpectedly; restarting");
      while (!stopping && !current) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, opts.restartDelayMs ?? 1000).unref();
        });
        wake = null;
        if (stopping) return;
        try {
          current = await start();
          log.info({ consumer: name }, "consumer loop restarted");
        } catch (err) {
          log.error({ consumer: name, err: errorMessage(err) }, "consumer restart failed; will retry");
        }
      }
    }
  })();

  const stats: ConsumerStats = {
    get handled() {
      return retired.handled + (current?.stats.handled ?? 0);
    },
    get invalid() {
      return retired.invalid + (current?.stats.invalid ?? 0);
    },
    get failed() {
      return retired.failed + (current?.stats.failed ?? 0);
    },
  };

  return {
    stats,
    async stop() {
      stopping = true;
      (wake as (() => void) | null)?.();
      const c = current;
      if (c) await c.stop().catch(() => undefined);
      await loop;
    },
  };
}

/**
 * A durable pull-consumer loop that validates every message with its protocol schema. A malformed message
 * is terminated (never redelivered), counted and logged; a handler failure is nak'ed for redelivery. The
 * loop only ends when `stop()` is called or the connection closes.
 */
import { decode, type MessageDef } from "@edgewatt/protocol";
import { AckPolicy, type ConsumerConfig, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { z } from "zod";

export interface ConsumerStats {
  handled: number;
  invalid: number;
  failed: number;
}

export interface Logger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export interface RunConsumerOptions<T extends z.ZodType> {
  nc: NatsConnection;
  stream: string;
  durable: string;
  def: MessageDef<T>;
  handle: (value: z.output<T>, msg: JsMsg) => Promise<void>;
  log: Logger;
  config?: Partial<ConsumerConfig>;
  /** Redelivery delay after a handler failure. */
  retryDelayMs?: number;
  maxMessages?: number;
}

export interface RunningConsumer {
  stats: ConsumerStats;
  stop(): Promise<void>;
  done: Promise<void>;
}

export async function runConsumer<T extends z.ZodType>(
  opts: RunConsumerOptions<T>,
): Promise<RunningConsumer> {
  const jsm = await jetstreamManager(opts.nc);
  const config: Partial<ConsumerConfig> = {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: 60_000_000_000,
    max_deliver: -1,
    ...opts.config,
  };
  try {
    await jsm.consumers.info(opts.stream, opts.durable);
    await jsm.consumers.update(opts.stream, opts.durable, config);
  } catch {
    await jsm.consumers.add(opts.stream, config);
  }
  const consumer = await jetstream(opts.nc).consumers.get(opts.stream, opts.durable);
  const stats: ConsumerStats = { handled: 0, invalid: 0, failed: 0 };
  const messages = await consumer.consume({ max_messages: opts.maxMessages ?? 100 });
  const done = (async () => {
    for await (const msg of messages) {
      const decoded = decode(opts.def, msg.data);
      if (!decoded.ok) {
        stats.invalid++;
        opts.log.warn(
          {
            stream: opts.stream,
            subject: msg.subject,
            seq: msg.seq,
            code: decoded.error.code,
            invalid: stats.invalid,
          },
          `rejected malformed message: ${decoded.error.message}`,
        );
        msg.term(decoded.error.message);
        continue;
      }
      try {
        await opts.handle(decoded.value, msg);
        msg.ack();
        stats.handled++;
      } catch (err) {
        stats.failed++;
        opts.log.error(
          { stream: opts.stream, subject: msg.subject, seq: msg.seq, err: String(err), failed: stats.failed },
          "handler failed; message will be redelivered",
        );
        msg.nak(opts.retryDelayMs ?? 2000);
      }
    }
  })();
  return {
    stats,
    done,
    async stop() {
      await messages.close();
      await done;
    },
  };
}

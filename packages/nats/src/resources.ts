/**
 * The control plane's JetStream resources, declared once. Creating them is idempotent: an existing stream
 * is updated to the declared config, so every process may call `ensureControlPlane` at start.
 */
import { KV_BUCKETS, OBJECT_BUCKETS, STREAMS, subjects } from "@edgewatt/protocol";
import {
  DiscardPolicy,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";

const SECOND_NS = 1_000_000_000;
const DAY_NS = 86_400 * SECOND_NS;

export const STREAM_CONFIGS: Record<
  keyof typeof STREAMS,
  Partial<StreamConfig> & { name: string; subjects: string[] }
> = {
  jobs: {
    name: STREAMS.jobs,
    subjects: [subjects.allJobRequests()],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    max_age: 7 * DAY_NS,
    duplicate_window: 120 * SECOND_NS,
  },
  telemetry: {
    name: STREAMS.telemetry,
    subjects: [subjects.allTelemetry()],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: 7 * DAY_NS,
    discard: DiscardPolicy.Old,
    // Wide window so a batch re-sent from the agent's outbox after a long outage is still deduplicated
    // by the server; Postgres' unique key catches anything older.
    duplicate_window: 3600 * SECOND_NS,
  },
  events: {
    name: STREAMS.events,
    subjects: [subjects.allDeviceEvents()],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: DAY_NS,
    max_msgs_per_subject: 100,
  },
};

async function ensureStream(
  jsm: JetStreamManager,
  cfg: Partial<StreamConfig> & { name: string },
): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
    await jsm.streams.update(cfg.name, cfg);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(cfg);
  }
}

function isNotFound(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err);
  return /not found/i.test(msg);
}

/** Creates (or updates) every stream, KV bucket and object store the control plane uses. */
export async function ensureControlPlane(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const cfg of Object.values(STREAM_CONFIGS)) await ensureStream(jsm, cfg);
  const kvm = new Kvm(nc);
  await kvm.create(KV_BUCKETS.deploy, { history: 5 });
  await kvm.create(KV_BUCKETS.policy, { history: 5 });
  await new Objm(nc).create(OBJECT_BUCKETS.models, { description: "EdgeWatt model files and variants" });
}

import { parseArgs } from "node:util";
import { ModelCache } from "../../models/model-cache";
import { findIdentity } from "../../state/identity";
import { resolveStateDir, statePaths } from "../../state/paths";
import { findStatus } from "../../state/status";
import { Outbox } from "../../telemetry/outbox";
import { type CliIo, EXIT } from "../io";

export const STATUS_USAGE = "edgewatt-agent status [--state-dir <dir>] [--json]";

export async function statusCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { "state-dir": { type: "string" }, json: { type: "boolean", default: false } },
    strict: true,
    allowPositionals: false,
  });
  const stateDir = resolveStateDir(values["state-dir"]);
  const paths = statePaths(stateDir);
  const identity = await findIdentity(stateDir);
  const status = await findStatus(stateDir);
  const cached = await new ModelCache(paths.cache).list();
  const outboxDepth = await Outbox.countPending(paths.outbox);
  const alive = status?.running === true && isAlive(status.pid);

  if (values.json) {
    io.out(
      JSON.stringify(
        {
          stateDir,
          identity: identity && redact(identity),
          agentRunning: alive,
          status,
          cached,
          outboxDepth,
        },
        null,
        2,
      ),
    );
    return EXIT.ok;
  }

  const row = (k: string, v: string) => io.out(`${k.padEnd(12)}${v}`);
  row("state dir", stateDir);
  if (!identity) {
    row("device", "not enrolled — run: edgewatt-agent enroll --server <portal URL> --token <token>");
  } else {
    row("device", `${identity.deviceName} (${identity.deviceId}) in org ${identity.orgId}`);
    row("server", identity.server);
    row(
      "nats",
      `${identity.nats.servers.join(", ")}${identity.nats.credentials ? " (credentials)" : " (no auth)"}`,
    );
    row("enrolled", identity.enrolledAt);
  }
  if (!status) {
    row("agent", "has not run yet");
  } else {
    row(
      "agent",
      alive
        ? `running (pid ${status.pid}, boot ${status.boot}, ${status.connected ? "connected" : "NOT connected"}, updated ${status.updatedAt})`
        : `not running (last boot ${status.boot}, last update ${status.updatedAt})`,
    );
    row("meter", status.meter.description);
    const a = status.assignment;
    row(
      "assignment",
      a
        ? `${a.deploymentId}: model ${a.modelName} (${a.modelId}), policy ${a.policyMode}${a.policyVariant ? ` ${a.policyVariant}` : ""}, ladder [${a.ladder.join(", ")}], revision ${a.revision} at ${a.receivedAt}`
        : "none seen",
    );
    const v = status.activeVariant;
    row(
      alive ? "serving" : "last served",
      v
        ? `${v.name} (sha256 ${v.sha256.slice(0, 12)}…, ${v.threads} thread${v.threads === 1 ? "" : "s"}, since ${v.loadedAt})`
        : "nothing",
    );
    row(
      "counters",
      Object.entries(status.counters)
        .map(([k, n]) => `${k} ${n}`)
        .join(", "),
    );
    if (status.lastError) row("last error", `${status.lastError.message} (${status.lastError.at})`);
  }
  row(
    "cached",
    cached.length === 0
      ? "no variants"
      : cached
          .map((c) =>
            c.note
              ? `${c.note.modelName}/${c.note.variant} (${c.sha256.slice(0, 12)}…, ${(c.sizeBytes / 1024).toFixed(1)} KiB)`
              : `${c.sha256.slice(0, 12)}… (${(c.sizeBytes / 1024).toFixed(1)} KiB)`,
          )
          .join(", "),
  );
  row(
    "outbox",
    `${outboxDepth} batch${outboxDepth === 1 ? "" : "es"} pending${status ? `, ${status.outbox.dropped} dropped in the last run` : ""}`,
  );
  return EXIT.ok;
}

/** The seed in NATS credentials is a secret; status output never shows it. */
function redact<T extends { nats: { credentials?: { jwt: string; seed?: string | undefined } | undefined } }>(
  identity: T,
): T {
  if (!identity.nats.credentials) return identity;
  return {
    ...identity,
    nats: {
      ...identity.nats,
      credentials: { jwt: "(redacted)", ...(identity.nats.credentials.seed ? { seed: "(redacted)" } : {}) },
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The agent's structured logs: one JSON object per line on stdout, every level (a daemon's stdout goes to the
 * journal; human messages from CLI commands go to stderr).
 */
import type { Logger } from "@edgewatt/nats";

export type { Logger };

export function createAgentLogger(
  fields: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const emit = (level: string, obj: Record<string, unknown>, msg: string) =>
    write(
      `${JSON.stringify({ ts: new Date().toISOString(), level, component: "edge-agent", msg, ...fields, ...obj })}\n`,
    );
  return {
    info: (obj, msg) => emit("info", obj, msg),
    warn: (obj, msg) => emit("warn", obj, msg),
    error: (obj, msg) => emit("error", obj, msg),
  };
}

/** A logger that keeps every entry in memory as well as passing it on (tests read `entries`). */
export function createRecordingLogger(inner?: Logger): Logger & {
  entries: Array<{ level: string; msg: string; obj: Record<string, unknown> }>;
} {
  const entries: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const rec =
    (level: "info" | "warn" | "error") =>
    (obj: Record<string, unknown>, msg: string): void => {
      entries.push({ level, msg, obj });
      inner?.[level](obj, msg);
    };
  return { entries, info: rec("info"), warn: rec("warn"), error: rec("error") };
}

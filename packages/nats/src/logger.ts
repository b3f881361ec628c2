/** Structured JSON logs on stdout, one line per event. */
import type { Logger } from "./consume";

export function createLogger(component: string, extra: Record<string, unknown> = {}): Logger {
  const line = (level: string, obj: Record<string, unknown>, msg: string) =>
    `${JSON.stringify({ ts: new Date().toISOString(), level, component, msg, ...extra, ...obj })}\n`;
  return {
    info: (obj, msg) => process.stdout.write(line("info", obj, msg)),
    warn: (obj, msg) => process.stdout.write(line("warn", obj, msg)),
    error: (obj, msg) => process.stderr.write(line("error", obj, msg)),
  };
}

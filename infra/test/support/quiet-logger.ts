/** A logger that keeps lines for assertions and prints only errors (all lines with `echoAll`). */
import type { Logger } from "@edgewatt/nats";

export type LoggedLine = { level: "info" | "warn" | "error"; msg: string; fields: Record<string, unknown> };

export function quietLogger(component: string, echoAll = false): Logger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const at =
    (level: LoggedLine["level"]) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, msg, fields });
      if (echoAll || level === "error") console.log(JSON.stringify({ level, component, msg, ...fields }));
    };
  return { lines, info: at("info"), warn: at("warn"), error: at("error") };
}

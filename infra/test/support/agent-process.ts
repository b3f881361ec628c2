/**
 * The edge agent as a real child process — the executable a systemd unit runs (apps/edge-agent/bin), one node
 * process, so SIGKILL is a power cut for the agent itself, not for a wrapper. Its JSON log lines are kept.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const AGENT_BIN = resolve(REPO_ROOT, "apps/edge-agent/bin/edgewatt-agent.js");

export interface AgentLogLine {
  level: string;
  msg: string;
  boot?: string;
  [key: string]: unknown;
}

export interface AgentProcess {
  pid: number;
  /** Every JSON log line so far (stdout). */
  logs: AgentLogLine[];
  /** Everything the agent wrote on stderr. */
  stderr(): string;
  /** The boot id its log lines carry, once it logged one. */
  boot(): string | null;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  isRunning(): boolean;
}

export function spawnAgent(opts: { args: string[]; env?: Record<string, string> }): AgentProcess {
  const child: ChildProcess = spawn(process.execPath, [AGENT_BIN, ...opts.args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: AgentLogLine[] = [];
  let stderr = "";
  let partial = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line) as AgentLogLine);
      } catch {
        logs.push({ level: "raw", msg: line });
      }
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once("exit", (code, signal) => {
      running = false;
      resolveExit({ code, signal });
    });
  });
  if (child.pid === undefined) throw new Error(`cannot start the agent (${AGENT_BIN})`);
  return {
    pid: child.pid,
    logs,
    stderr: () => stderr,
    boot: () => logs.find((l) => typeof l.boot === "string")?.boot ?? null,
    exited,
    kill: (signal) => {
      if (running) child.kill(signal);
    },
    isRunning: () => running,
  };
}

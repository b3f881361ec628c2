/** Child processes of the launcher: prefixed output, and a stop that waits for them to exit. */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Receives every output line (already without the prefix); default prints it with a prefix. */
  onLine?: (line: string) => void;
  quiet?: boolean;
}

export function spawnChild(opts: SpawnOptions): Child {
  const proc = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    // Children inherit the launcher's environment (PATH, HOME…) unread; their settings come from opts.env.
    env: { ...process.env, ...opts.env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const prefix = `[${opts.name}]`.padEnd(9);
  for (const stream of [proc.stdout, proc.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      opts.onLine?.(line);
      if (!opts.quiet) process.stdout.write(`${prefix} ${line}\n`);
    });
  }
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return {
    name: opts.name,
    proc,
    exited,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const pid = proc.pid;
      const kill = (sig: NodeJS.Signals) => {
        try {
          // The whole process group: `next` and `tsx` start children of their own.
          if (pid) process.kill(-pid, sig);
        } catch {
          proc.kill(sig);
        }
      };
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls an HTTP URL until it answers (any status below 500). */
export async function waitForHttp(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (child && (child.proc.exitCode !== null || child.proc.signalCode !== null)) {
      throw new Error(`${child.name} exited before ${url} answered`);
    }
    try {
      const res = await fetch(url, { redirect: "manual" });
      if (res.status < 500) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String((err as Error).message);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

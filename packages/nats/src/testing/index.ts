/**
 * Starts a fresh nats-server (JetStream on, its own store dir, a random free port) for one test suite, without
 * auth or, given `authConfig`, in operator (decentralized JWT) mode.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testingEnv } from "./env";

export interface TestNatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** Everything the server printed so far (for assertions on refusals). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartNatsServerOptions {
  /** Appended to the generated config file. */
  extraConfig?: string;
  /**
   * Operator-mode config (e.g. `renderServerAuthConfig` from `@edgewatt/nats/auth`), or a function of the
   * server's own directory that renders it (so the resolver dir lives there too). Without it: no auth.
   */
  authConfig?: string | ((dir: string) => string);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function natsServerBinary(): string {
  return testingEnv().NATS_SERVER_BIN;
}

/** Starts nats-server with JetStream; see StartNatsServerOptions. */
export async function startNatsServer(opts: StartNatsServerOptions = {}): Promise<TestNatsServer> {
  const dir = await mkdtemp(join(tmpdir(), "ew-nats-"));
  const port = await freePort();
  const conf = join(dir, "nats.conf");
  const auth = typeof opts.authConfig === "function" ? opts.authConfig(dir) : (opts.authConfig ?? "");
  await writeFile(
    conf,
    `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, "js")}" }\n${auth}\n${opts.extraConfig ?? ""}\n`,
  );
  const bin = existsOnPath(natsServerBinary()) ? natsServerBinary() : "/usr/sbin/nats-server";
  const proc = spawn(bin, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (d: Buffer) => {
    // Keep the last 256 KiB: enough for any assertion, bounded for a long suite.
    output = (output + d.toString()).slice(-262_144);
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  await waitForReady(proc, port);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir: dir,
    output: () => output,
    async stop() {
      await stopProcess(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function existsOnPath(bin: string): boolean {
  if (bin.includes("/")) return true;
  const paths = testingEnv().PATH.split(":");
  return paths.some((p) => existsSync(join(p, bin)));
}

async function waitForReady(proc: ChildProcess, port: number): Promise<void> {
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`nats-server did not start on ${port}: ${output}`)),
      15_000,
    );
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes("Server is ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}: ${output}`));
    });
  });
}

export async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    proc.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill("SIGTERM");
  });
}

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentError } from "../errors";
import { loadAgentConfig } from "./agent-config";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ew-config-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function configFile(body: string): Promise<string> {
  const path = join(dir, "agent.json");
  await writeFile(path, body);
  return path;
}

describe("agent configuration", () => {
  it("runs on defaults without a file", async () => {
    const { config, file, socketPath } = await loadAgentConfig({ stateDir: dir, env: {} });
    expect(file).toBeNull();
    expect(config).toMatchObject({ rateHz: 5, meter: "auto", threads: 1, periodicSeconds: 10 });
    expect(socketPath).toBe(join(dir, "agent.sock"));
  });

  it("layers defaults < <state>/agent.json < environment < flags", async () => {
    await configFile(
      JSON.stringify({ rateHz: 2, profile: "raspberry-pi-4", api: { http: "127.0.0.1:7070" } }),
    );
    const { config, file } = await loadAgentConfig({
      stateDir: dir,
      env: { EDGEWATT_AGENT_RATE: "7", EDGEWATT_AGENT_API_SOCKET: "off" },
      overrides: { rateHz: 9, threads: undefined },
    });
    expect(file).toBe(join(dir, "agent.json"));
    expect(config.rateHz).toBe(9);
    expect(config.profile).toBe("raspberry-pi-4");
    expect(config.api).toEqual({ http: "127.0.0.1:7070", socket: null });
  });

  it("refuses unknown keys, naming them and the known ones", async () => {
    await configFile(JSON.stringify({ rate: 5 }));
    await expect(loadAgentConfig({ stateDir: dir, env: {} })).rejects.toThrow(
      /unknown key "rate" — known keys: input, rateHz/,
    );
  });

  it("refuses bad values with the key and the rule", async () => {
    await configFile(JSON.stringify({ threads: 8, maxThreads: 2, api: { http: "0.0.0.0:80" } }));
    const err = await loadAgentConfig({ stateDir: dir, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe("CONFIG_INVALID");
    expect((err as Error).message).toMatch(/threads: must be ≤ maxThreads \(2\)/);
    expect((err as Error).message).toMatch(/api\.http: must be "127\.0\.0\.1:<port>"/);
  });

  it("says what to do with a file that is not JSON, a missing --config file, a bad env value", async () => {
    await configFile("rateHz = 5");
    await expect(loadAgentConfig({ stateDir: dir, env: {} })).rejects.toThrow(/is not a JSON object/);
    await expect(loadAgentConfig({ stateDir: dir, file: join(dir, "nope.json"), env: {} })).rejects.toThrow(
      /nope\.json: it does not exist — fix the path/,
    );
    await rm(join(dir, "agent.json"));
    await expect(loadAgentConfig({ stateDir: dir, env: { EDGEWATT_AGENT_RATE: "fast" } })).rejects.toThrow(
      /EDGEWATT_AGENT_RATE must be a number, got "fast"/,
    );
    await expect(loadAgentConfig({ stateDir: dir, env: { EDGEWATT_AGENT_METER: "geiger" } })).rejects.toThrow(
      /meter: /,
    );
  });
});

describe("infra/systemd/agent.example.json", () => {
  it("is a valid configuration (the systemd install uses it as /etc/edgewatt/agent.json)", async () => {
    const example = join(import.meta.dirname, "../../../../infra/systemd/agent.example.json");
    const { config, socketPath } = await loadAgentConfig({ stateDir: dir, file: example, env: {} });
    expect(config.api.http).toBe("127.0.0.1:7070");
    expect(socketPath).toBe("/run/edgewatt-agent/agent.sock");
  });
});

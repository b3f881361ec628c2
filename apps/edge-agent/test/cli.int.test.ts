/** The CLI's commands and usage errors, in-process (the same code path as the executable). */
import { afterAll, describe, expect, it } from "vitest";
import type { CliIo } from "../src/cli/io";
import { runCli } from "../src/cli/run-cli";
import { removeTempDirs, tempStateDir } from "./helpers";

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCli(argv, io);
  return { code, out: out.join("\n"), err };
}

describe("edgewatt-agent CLI", () => {
  afterAll(removeTempDirs);

  it("meters: every source in preference order, exactly one active, the missing ones with their reason", async () => {
    const sys = await tempStateDir();
    const r = await cli("meters", "--sys-root", sys);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^rapl\s+not detected\s+no RAPL zones/m);
    expect(r.out).toMatch(/^model\s+active\s+model \(profile generic-x86/m);
    const json = JSON.parse(
      (await cli("meters", "--json", "--profile", "raspberry-pi-4", "--sys-root", sys)).out,
    ) as Array<{ source: string; status: string; detail: string }>;
    expect(json.map((m) => m.source)).toEqual(["rapl", "hwmon", "battery", "nvml", "model"]);
    expect(json.filter((m) => m.status === "active").map((m) => m.source)).toEqual(["model"]);
    expect(json.at(-1)?.detail).toContain("raspberry-pi-4");
    const bad = await cli("meters", "--profile", "toaster");
    expect(bad.code).toBe(2);
    expect(bad.err.join("\n")).toMatch(/unknown power profile "toaster"/);
  });

  it("status of a device that has not enrolled says what to do", async () => {
    const r = await cli("status", "--state-dir", await tempStateDir());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/not enrolled — run: edgewatt-agent enroll/);
    expect(r.out).toMatch(/outbox\s+0 batches pending/);
  });

  it("run without an identity exits 2 with the enroll command to use", async () => {
    const r = await cli("run", "--state-dir", await tempStateDir());
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/not enrolled .* edgewatt-agent enroll --server/);
  });

  it.each([
    [["run", "--rate", "fast"], /--rate must be a positive number/],
    [
      ["run", "--input", "data.csv"],
      /--input must be one of random \| csv:<path.* \| images:<path.* \| none/,
    ],
    [["run", "--profile", "toaster"], /unknown power profile "toaster"/],
    [["run", "--bogus"], /Unknown option '--bogus'/],
    [["enroll", "--token", "ewt_x"], /enroll needs --server and --token/],
    [["enroll", "--server", "ftp://x", "--token", "ewt_12345678"], /http:\/\/ or https:\/\//],
    [["fly"], /unknown command "fly"/],
  ])("%j exits 2 with one clear line", async (argv, message) => {
    const r = await cli(...argv, "--state-dir", await tempStateDir());
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(message);
  });
});

/**
 * The foundation's end-to-end path, through the real parts only: sign in → upload an ONNX model (Object Store +
 * Postgres) → the optimization job runs on the JetStream work queue and the worker makes a real int8 variant →
 * create an enrollment token → `edgewatt-agent enroll` → deploy → the agent fetches the variant, checks its sha256,
 * runs it with onnxruntime-node, meters energy and publishes telemetry → the worker ingests it exactly once →
 * the portal shows that device's energy per inference.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, reloadUntil, screenshot, signIn, stackEnv } from "./browser";

const repoRoot = join(import.meta.dirname, "../../..");
const tsx = join(repoRoot, "node_modules/.bin/tsx");
const agentMain = join(repoRoot, "apps/edge-agent/src/cli/main.ts");
const sampleModel = join(repoRoot, "samples/models/nab-conv-autoencoder.onnx");
const sampleCsv = join(repoRoot, "samples/nab/speed_7578.csv");

function runAgent(args: string[]): {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  let out = "";
  const proc = spawn(tsx, [agentMain, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout?.on("data", (d) => {
    out += d.toString();
  });
  proc.stderr?.on("data", (d) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

describe("foundation end-to-end path", () => {
  let browser: Browser;
  let page: Page;
  let stateDir: string;
  let agent: ReturnType<typeof runAgent> | undefined;
  const db = new pg.Pool({ connectionString: stackEnv().databaseUrl, max: 2 });

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    stateDir = await mkdtemp(join(tmpdir(), "ew-e2e-agent-"));
  });
  afterAll(async () => {
    if (agent && agent.proc.exitCode === null) {
      agent.proc.kill("SIGTERM");
      await agent.exited;
    }
    await browser?.close();
    await db.end();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("runs from upload to energy per inference", async () => {
    const { webUrl } = stackEnv();
    await signIn(page);

    // Upload → model page; the worker turns the queued job into an int8 variant.
    await page.goto(`${webUrl}/models`);
    await page.getByTestId("upload-input").setInputFiles(sampleModel);
    await page.getByTestId("upload-name").fill("nab autoencoder e2e");
    await page.getByTestId("upload-submit").click();
    await page.waitForURL(/\/models\/mdl_[a-z0-9]+/, { timeout: 60_000 });
    const modelId = new URL(page.url()).pathname.split("/").pop() ?? "";
    expect(await page.getByTestId("model-inspection").textContent()).toContain("window");
    const int8Row = page.getByTestId("variant-row").filter({ hasText: "int8-dynamic" });
    await int8Row.first().waitFor({ timeout: 120_000 });
    await expect
      .poll(async () => (await int8Row.first().textContent()) ?? "", { timeout: 120_000 })
      .toMatch(/ready/i);
    await screenshot(page, "e2e-model-ladder");
    const variant = await db.query(
      "select sha256, size_bytes, status from model_variants where model_id = $1 and name = 'int8-dynamic'",
      [modelId],
    );
    expect(variant.rows[0]?.status).toBe("ready");
    const original = await db.query("select size_bytes from models where id = $1", [modelId]);
    expect(Number(variant.rows[0]?.size_bytes)).toBeLessThan(Number(original.rows[0]?.size_bytes));

    // Enrollment token → a real agent process enrolls with it.
    await page.goto(`${webUrl}/devices`);
    await page.getByTestId("token-label").fill("e2e device");
    await page.getByTestId("token-create").click();
    const secret = (await page.getByTestId("token-secret").textContent({ timeout: 30_000 }))?.trim() ?? "";
    expect(secret).toMatch(/^ewt_/);
    expect(await page.getByTestId("token-command").textContent()).toContain(`--token ${secret}`);
    const enroll = runAgent([
      "enroll",
      "--server",
      webUrl,
      "--token",
      secret,
      "--name",
      "e2e-device",
      "--state-dir",
      stateDir,
    ]);
    expect(await enroll.exited, enroll.output()).toBe(0);
    const identity = JSON.parse(await readFile(join(stateDir, "identity.json"), "utf8")) as {
      deviceId: string;
    };
    // The token was for one use: a second enrollment with it is refused with a clear message.
    const again = runAgent([
      "enroll",
      "--server",
      webUrl,
      "--token",
      secret,
      "--name",
      "x",
      "--state-dir",
      `${stateDir}-2`,
    ]);
    expect(await again.exited).toBe(2);
    expect(again.output()).toMatch(/used up|exhausted|already been used/i);

    // Deploy the int8 variant to the device from its page, then run the agent.
    await page.goto(`${webUrl}/devices/${identity.deviceId}`);
    await page.getByTestId("deploy-model").selectOption(modelId);
    await page.getByTestId("deploy-variant").selectOption("int8-dynamic");
    await page.getByTestId("deploy-submit").click();
    await page
      .getByTestId("current-deployment")
      .filter({ hasText: "int8-dynamic" })
      .waitFor({ timeout: 30_000 });
    agent = runAgent(["run", "--state-dir", stateDir, "--rate", "20", "--input", `csv:${sampleCsv}`]);

    // The device page shows its energy per inference, labelled with the meter that measured it.
    await reloadUntil(
      page,
      // The energy table is fetched client-side after the page renders: give it a moment after each reload.
      () =>
        page
          .getByTestId("energy-per-inference")
          .first()
          .waitFor({ timeout: 5000 })
          .then(() => true),
      120_000,
      `energy per inference on the device page (agent output:\n${agent.output().slice(-2000)})`,
    );
    expect(await page.getByTestId("energy-source").first().textContent()).toMatch(/model/i);
    const energyText = (await page.getByTestId("energy-per-inference").first().textContent()) ?? "";
    expect(energyText).toMatch(/\d/);
    await screenshot(page, "e2e-device-energy");

    // Stop the agent gracefully (it flushes its outbox), then check every sample arrived exactly once.
    await new Promise((r) => setTimeout(r, 3000));
    agent.proc.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
    await expect
      .poll(
        async () => {
          const r = await db.query(
            `select boot, count(*)::int as n, max(seq)::int as max_seq, min(seq)::int as min_seq,
                    sum(energy_j) as joules, bool_and(energy_source = 'model') as model_only
               from telemetry_samples where device_id = $1 and kind = 'inference' group by boot`,
            [identity.deviceId],
          );
          return r.rows;
        },
        { timeout: 30_000 },
      )
      .toHaveLength(1);
    const counts = await db.query(
      `select count(*)::int as n, max(seq)::int as max_seq, min(seq)::int as min_seq, sum(energy_j) as joules,
              bool_and(energy_source = 'model') as model_only, bool_and(variant = 'int8-dynamic') as int8_only
         from telemetry_samples where device_id = $1 and kind = 'inference'`,
      [identity.deviceId],
    );
    const row = counts.rows[0] as {
      n: number;
      max_seq: number;
      min_seq: number;
      joules: number;
      model_only: boolean;
      int8_only: boolean;
    };
    expect(row.n).toBeGreaterThan(10);
    expect(row.model_only).toBe(true);
    expect(row.int8_only).toBe(true);
    expect(Number(row.joules)).toBeGreaterThan(0);
    // Inference samples are numbered without gaps within a boot: none lost, none twice (unique key).
    const all = await db.query(
      "select count(*)::int as n, max(seq)::int as max_seq from telemetry_samples where device_id = $1",
      [identity.deviceId],
    );
    expect(all.rows[0].n).toBe(all.rows[0].max_seq + 1);
  });

  it("the launcher's own local agent enrolled itself", async () => {
    const { webUrl } = stackEnv();
    await page.goto(`${webUrl}/devices`);
    await page.getByTestId("device-row").filter({ hasText: "local-agent" }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("device-row").filter({ hasText: "local-agent" }).count()).toBe(1);
    await screenshot(page, "e2e-devices");
  });
});

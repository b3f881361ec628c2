/**
 * Replays a NAB-style sensor CSV (`timestamp,value`): the series is z-scored by its own mean and standard deviation,
 * and each fill takes the next sliding window (stride 1, wrapping at the end).
 */
import { readFile } from "node:fs/promises";
import { AgentError } from "../errors";
import { type InputSource, tokenOf } from "./input-source";

/** Parses the value column (the last one) of a `timestamp,value` CSV; the header and unparsable rows are skipped. */
export function parseSeriesCsv(text: string): number[] {
  const values: number[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const cells = trimmed.split(",");
    const last = cells[cells.length - 1]?.trim();
    if (!last) continue;
    const value = Number(last);
    if (Number.isFinite(value)) values.push(value);
  }
  return values;
}

export function zScore(values: number[]): number[] {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const std = Math.sqrt(variance);
  return values.map((v) => (std > 0 ? (v - mean) / std : 0));
}

export class CsvReplaySource implements InputSource {
  readonly description: string;
  private cursor = 0;

  constructor(
    private readonly series: number[],
    label: string,
  ) {
    if (series.length === 0) throw new AgentError("INPUT_INVALID", `${label} has no values`);
    this.description = `csv replay ${label} (${series.length} values, z-scored)`;
  }

  static async load(path: string): Promise<CsvReplaySource> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (cause) {
      throw new AgentError("INPUT_INVALID", `cannot read --input csv:${path} (${(cause as Error).message})`, {
        cause,
      });
    }
    const values = parseSeriesCsv(text);
    if (values.length < 2) {
      throw new AgentError(
        "INPUT_INVALID",
        `--input csv:${path} has ${values.length} numeric rows; expected a timestamp,value CSV with at least 2 rows`,
      );
    }
    return new CsvReplaySource(zScore(values), path);
  }

  private window(n: number, write: (i: number, z: number) => void): void {
    const len = this.series.length;
    for (let i = 0; i < n; i++) write(i, this.series[(this.cursor + i) % len] ?? 0);
    this.cursor = (this.cursor + 1) % len;
  }

  fillFloats(out: Float32Array | Float64Array): void {
    this.window(out.length, (i, z) => {
      out[i] = z;
    });
  }

  fillTokens(out: BigInt64Array | Int32Array): void {
    this.window(out.length, (i, z) => {
      if (out instanceof BigInt64Array) out[i] = BigInt(tokenOf(z));
      else out[i] = tokenOf(z);
    });
  }
}

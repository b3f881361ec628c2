import { AgentError } from "../errors";
import { CsvReplaySource } from "./csv-source";
import type { InputSource } from "./input-source";
import { RandomSource } from "./random-source";

export type InputSpec = { kind: "random"; seed?: number } | { kind: "csv"; path: string };

/** `random` or `csv:<path>`. */
export function parseInputSpec(value: string): InputSpec {
  if (value === "random") return { kind: "random" };
  if (value.startsWith("csv:") && value.length > 4) return { kind: "csv", path: value.slice(4) };
  throw new AgentError(
    "USAGE",
    `--input must be "random" or "csv:<path to a timestamp,value CSV>", got "${value}"`,
  );
}

export async function openInputSource(spec: InputSpec): Promise<InputSource> {
  return spec.kind === "csv" ? CsvReplaySource.load(spec.path) : new RandomSource(spec.seed);
}

import { AgentError } from "../errors";
import type { Logger } from "../log";
import { CsvReplaySource } from "./csv-source";
import { ImageSource } from "./image-source";
import type { InputSource } from "./input-source";
import { RandomSource } from "./random-source";

export type InputSpec =
  | { kind: "random"; seed?: number }
  | { kind: "csv"; path: string }
  | { kind: "images"; path: string };

const INPUT_FORMS =
  "random | csv:<path to a timestamp,value CSV> | images:<path to a CIFAR-10 .bin/.bin.gz file or a folder of PPM/PGM images> | none";

const EXAMPLE_PATH = { csv: "./data/series.csv", images: "./data/test_batch.bin" } as const;

/** `random`, `csv:<path>` or `images:<path>` (callers handle `none`, which means no built-in source). */
export function parseInputSpec(value: string): InputSpec {
  if (value === "random") return { kind: "random" };
  for (const kind of ["csv", "images"] as const) {
    if (!value.startsWith(`${kind}:`)) continue;
    const path = value.slice(kind.length + 1);
    if (path) return { kind, path };
    throw new AgentError(
      "USAGE",
      `--input ${kind}: needs a path, e.g. --input ${kind}:${EXAMPLE_PATH[kind]}`,
    );
  }
  throw new AgentError("USAGE", `--input must be one of ${INPUT_FORMS}; got "${value}"`);
}

export async function openInputSource(spec: InputSpec, opts: { log?: Logger } = {}): Promise<InputSource> {
  switch (spec.kind) {
    case "csv":
      return CsvReplaySource.load(spec.path);
    case "images":
      return ImageSource.load(spec.path, opts);
    case "random":
      return new RandomSource(spec.seed);
  }
}

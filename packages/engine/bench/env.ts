/**
 * The one place the engine's benchmark and investigation scripts read the environment.
 * EDGEWATT_SHARED_DIR: the reference models and datasets (default `../shared` beside the repository);
 * BENCH_MODELS / BENCH_VARIANTS / BENCH_METHODS: comma-separated filters; BENCH_WRITE_DIR: keep built models.
 */
import { resolve } from "node:path";

export interface BenchEnv {
  sharedDir: string;
  models: string[] | undefined;
  variants: string[] | undefined;
  methods: string[] | undefined;
  writeDir: string | undefined;
}

const list = (value: string | undefined) =>
  value
    ? value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

export function readBenchEnv(source: Record<string, string | undefined> = process.env): BenchEnv {
  return {
    sharedDir: source.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared"),
    models: list(source.BENCH_MODELS),
    variants: list(source.BENCH_VARIANTS),
    methods: list(source.BENCH_METHODS),
    writeDir: source.BENCH_WRITE_DIR || undefined,
  };
}

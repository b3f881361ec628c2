import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this file holding pnpm-workspace.yaml. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the repository root (pnpm-workspace.yaml)");
    dir = up;
  }
  return dir;
}

export function tsxBin(): string {
  return resolve(repoRoot(), "node_modules/.bin/tsx");
}

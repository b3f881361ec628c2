import { readFileSync } from "node:fs";

/** The agent's version, from its package.json (read once). */
export const AGENT_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return typeof pkg.version === "string" ? pkg.version : "0.0.0";
})();

export interface CliIo {
  /** Human output (stdout). */
  out(line: string): void;
  /** Errors and hints (stderr). */
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Exit codes: 0 ok, 1 unexpected failure, 2 the operator must change something (usage, server, token…). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

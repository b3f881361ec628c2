/** A small argv parser: `--flag`, `--key value`, `--key=value` (repeatable), and positionals. */

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string[]>;
  flags: Set<string>;
}

export function parseArgs(
  argv: readonly string[],
  spec: { flags: readonly string[]; options: readonly string[] },
): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], options: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const key = arg.slice(2, eq < 0 ? undefined : eq);
    if (spec.flags.includes(key)) {
      if (eq >= 0) throw new UsageError(`--${key} takes no value`);
      parsed.flags.add(key);
    } else if (spec.options.includes(key)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith("--")))
        throw new UsageError(`--${key} needs a value`);
      parsed.options.set(key, [...(parsed.options.get(key) ?? []), value]);
    } else {
      throw new UsageError(`unknown option --${key}`);
    }
  }
  return parsed;
}

export function getOption(args: ParsedArgs, key: string): string | undefined {
  const values = args.options.get(key);
  if (values && values.length > 1) throw new UsageError(`--${key} given more than once`);
  return values?.[0];
}

export function getRequiredOption(args: ParsedArgs, key: string): string {
  const value = getOption(args, key);
  if (value === undefined || value === "") throw new UsageError(`--${key} is required`);
  return value;
}

export function getIntOption(args: ParsedArgs, key: string, fallback: number, min = 0): number {
  const value = getOption(args, key);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${key} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

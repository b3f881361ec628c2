/** Formatting shared by server messages and the UI. Pure functions, no imports. */

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** 1234567 → "1.23 M". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} M`;
  return `${(n / 1e9).toFixed(2)} G`;
}

/** Joules with a unit that keeps 3 significant digits: 0.00123 J → "1.23 mJ". */
export function formatJoules(j: number | null | undefined): string {
  if (j === null || j === undefined || !Number.isFinite(j)) return "—";
  const abs = Math.abs(j);
  if (abs === 0) return "0 J";
  if (abs < 1e-6) return `${(j * 1e9).toPrecision(3)} nJ`;
  if (abs < 1e-3) return `${(j * 1e6).toPrecision(3)} µJ`;
  if (abs < 1) return `${(j * 1e3).toPrecision(3)} mJ`;
  return `${j.toPrecision(3)} J`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1) return `${(ms * 1000).toPrecision(3)} µs`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

/** "3 min ago", "just now", "in 2 h". */
export function formatRelative(date: Date | string | null | undefined, now: number = Date.now()): string {
  if (!date) return "never";
  const t = typeof date === "string" ? Date.parse(date) : date.getTime();
  const diff = now - t;
  const future = diff < 0;
  const s = Math.abs(diff) / 1000;
  let text: string;
  if (s < 10) return future ? "in a few seconds" : "just now";
  if (s < 60) text = `${Math.round(s)} s`;
  else if (s < 3600) text = `${Math.round(s / 60)} min`;
  else if (s < 86400) text = `${Math.round(s / 3600)} h`;
  else text = `${Math.round(s / 86400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

export function formatDateTime(date: Date | string | null | undefined): string {
  if (!date) return "—";
  const d = typeof date === "string" ? new Date(date) : date;
  return d.toISOString().replace("T", " ").slice(0, 19);
}

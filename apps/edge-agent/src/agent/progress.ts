/** A download progress line on stderr: redrawn in place on a terminal, a few plain lines otherwise. */

export type ProgressFn = (received: number, total: number) => void;

export function createProgressLine(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): { onProgress: ProgressFn; done(): void } {
  const tty = stream.isTTY === true;
  let lastPct = -1;
  let lastDraw = 0;
  let drew = false;
  const fmt = (n: number) =>
    n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
  return {
    onProgress(received, total) {
      const pct = total > 0 ? Math.floor((received / total) * 100) : 100;
      const now = Date.now();
      if (tty) {
        if (pct === lastPct || (now - lastDraw < 100 && pct < 100)) return;
        stream.write(`\r${label} ${String(pct).padStart(3)}% (${fmt(received)} / ${fmt(total)})`);
      } else {
        // Off a terminal: one line per quarter.
        if (Math.floor(pct / 25) === Math.floor(lastPct / 25) && lastPct >= 0) return;
        stream.write(`${label} ${pct}% (${fmt(received)} / ${fmt(total)})\n`);
      }
      drew = true;
      lastPct = pct;
      lastDraw = now;
    },
    done() {
      if (tty && drew) stream.write("\n");
    },
  };
}

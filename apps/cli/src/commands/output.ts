/** Prints rows as an aligned text table (first row = header). */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]))).join('  ')).join('\n');
}

/** Parses a duration such as 90s, 15m, 1h, 2d into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/**
 * The start of a feed from `--since` (a duration back from now; a malformed one exits 2); without
 * it, an hour back, or only what comes next when following.
 */
export function sinceOption(since: string | undefined, follow: boolean): number | undefined {
  if (since) {
    const d = parseDuration(since);
    if (d === undefined) fail(`--since: '${since}' is not a duration like 90s, 15m, 1h, 2d`, 2);
    return Date.now() - d;
  }
  return follow ? undefined : Date.now() - 3_600_000;
}

/** An AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts: a followed feed ends, and the command closes its connection. */
export function abortOnSignals(): AbortSignal {
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  return abort.signal;
}

/** Exits with a message on stderr (usage errors exit 2). */
export function fail(message: string, code = 1): never {
  process.stderr.write(`x0: ${message}\n`);
  process.exit(code);
}

import fs from 'node:fs';

/** One benchmark figure, printed as one JSON line by `npm run bench`. */
export interface Figure {
  bench: string;
  value: number;
  unit: string;
}

/**
 * Lets a benchmark file run on its own (`npx tsx tools/bench/<name>.bench.ts`, which is also how
 * `npm run bench` runs each file): when `mod` is the main module, runs `run()`, prints one JSON
 * line per figure and exits (0, or 1 on failure) without waiting for handles a library left open.
 */
export function runWhenMain(mod: NodeModule, run: () => Promise<Figure[]>): void {
  if (require.main !== mod) return;
  run().then(
    (figures) => {
      process.stdout.write(figures.map((f) => `${JSON.stringify({ bench: f.bench, value: f.value, unit: f.unit })}\n`).join(''), () => process.exit(0));
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** CPU time (user + system) of a process in ms from /proc (Linux; -Infinity elsewhere, and callers leave the figures out). */
export function processCpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return -Infinity;
  }
}

/** USER_HZ of /proc/<pid>/stat: 100 on every Linux platform Node supports. */
const CLOCK_TICKS = 100;

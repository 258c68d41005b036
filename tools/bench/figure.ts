/** One benchmark figure, printed as one JSON line by `npm run bench`. */
export interface Figure {
  bench: string;
  value: number;
  unit: string;
}

/**
 * Lets a benchmark file run on its own (`npx tsx tools/bench/<name>.bench.ts`): when `mod` is
 * the main module, runs `run()` and prints one JSON line per figure; exits 1 on failure.
 */
export function runWhenMain(mod: NodeModule, run: () => Promise<Figure[]>): void {
  if (require.main !== mod) return;
  run().then(
    (figures) => figures.forEach((f) => console.log(JSON.stringify(f))),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

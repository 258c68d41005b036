import type { Command } from 'commander';
import { fail } from './output';

/**
 * `x0 detect < series.csv > scores.txt`: the offline detection contract (NAB). Reads CSV with
 * a header `timestamp,value` (or several value columns: one multi-metric component) and prints
 * one score in [0,1] per data row, causally, through the monitor's own detector.
 * NAB_PROBATION, when set, is the number of leading warm-up rows.
 */
export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('score a CSV series from stdin: one anomaly score in [0,1] per row on stdout (NAB_PROBATION = warm-up rows)')
    .option('--verbose', 'report rows, rejects and the tfjs backend on stderr')
    .action(async (opts: { verbose?: boolean }) => {
      const env = process.env['NAB_PROBATION'];
      let probation: number | undefined;
      if (env !== undefined && env.trim() !== '') {
        probation = /^\s*\d+\s*$/.test(env) ? Number(env) : Number.NaN;
        if (!Number.isSafeInteger(probation)) fail(`NAB_PROBATION must be a non-negative integer (decimal digits), got ${JSON.stringify(env)}`, 2);
      }
      const { detectCsv } = await import('@x0/anomaly');
      const res = await detectCsv(process.stdin, process.stdout, { probation });
      if (opts.verbose) process.stderr.write(`scored ${res.rows} rows (${res.rejected} rejected) on the ${res.backend} backend\n`);
      if (res.rows === 0) process.stderr.write('x0: the input has a header but no data rows: nothing to score\n');
      if (res.firstRejected) {
        // rejected rows are scored 0 (the output keeps one line per row): say so, once
        const { row, reason } = res.firstRejected;
        process.stderr.write(`x0: ${res.rejected} of ${res.rows} rows rejected and scored 0; the first, data row ${row}: ${reason}\n`);
        if (res.rejected === res.rows) fail('no row could be scored: check the time column and that the values are numbers', 1);
      }
    });
}

/**
 * Offline detector for evaluation until `x0 detect` exists: CSV `timestamp,value[,...]` on stdin,
 * one score in [0,1] per data row on stdout. NAB_PROBATION (optional) = warm-up rows.
 *
 *   npx tsx tools/detect/detect.ts < series.csv > scores.txt
 */
import { detectCsv } from '@x0/anomaly';
import { errorMessage } from '@x0/core';

async function main(): Promise<void> {
  const env = process.env.NAB_PROBATION;
  const probation = env === undefined || env === '' ? undefined : Number(env);
  const res = await detectCsv(process.stdin, process.stdout, { probation });
  if (process.env.X0_DETECT_VERBOSE) process.stderr.write(`scored ${res.rows} rows (${res.rejected} rejected) on ${res.backend}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`detect: ${errorMessage(err)}\n`);
  process.exit(1);
});

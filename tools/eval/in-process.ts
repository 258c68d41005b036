/** What the in-process evaluation scripts (nab-inprocess.ts, smd-inprocess.ts) share. */
import { PassThrough, Readable } from 'node:stream';
import { detectCsv } from '@x0/anomaly';

/** Detector options from repeated `--opt name=value` arguments (numbers where they parse, true/false as booleans). */
export function detectorOptions(args: readonly string[]): Record<string, unknown> {
  const detector: Record<string, unknown> = {};
  args.forEach((a, i) => {
    if (a !== '--opt') return;
    const [k, v] = args[i + 1].split('=');
    detector[k] = v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v;
  });
  return detector;
}

/** Scores a whole CSV (`timestamp,value[,...]`) in this process, as `x0 detect` would: one score per data row. */
export async function scoreCsv(csv: string | Buffer, probation: number, detector: Record<string, unknown>): Promise<number[]> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await detectCsv(Readable.from([csv]), out, { probation, detector });
  return Buffer.concat(chunks).toString('utf8').trim().split('\n').map(Number);
}

import { PassThrough, Readable } from 'node:stream';
import { InvalidArgumentError } from '@x0/core';
import { detectCsv, parseTimestamp } from './detect-csv';
import { periodicSeries } from './testing';

async function run(csv: string, probation?: number): Promise<{ lines: string[]; res: Awaited<ReturnType<typeof detectCsv>> }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const res = await detectCsv(Readable.from([csv]), out, { probation });
  return { lines: Buffer.concat(chunks).toString('utf8').trim().split('\n'), res };
}

function csvOf(values: number[], extra?: (i: number) => string): string {
  const t0 = Date.UTC(2026, 0, 1);
  const rows = values.map((v, i) => `${new Date(t0 + i * 300_000).toISOString().slice(0, 19).replace('T', ' ')},${v}${extra ? ',' + extra(i) : ''}`);
  return `timestamp,value${extra ? ',other' : ''}\n${rows.join('\n')}\n`;
}

describe('detectCsv', () => {
  it('prints one score in [0,1] per data row, 0 during probation, and flags a spike', async () => {
    const x = periodicSeries({ n: 800, seed: 2 });
    x[700] = 200;
    const { lines, res } = await run(csvOf(x), 150);
    expect(lines).toHaveLength(800);
    expect(res).toEqual({ rows: 800, rejected: 0, backend: expect.stringMatching(/^(tensorflow|wasm|cpu)$/) });
    const scores = lines.map(Number);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(scores.slice(0, 150).every((s) => s === 0)).toBe(true);
    expect(scores.indexOf(Math.max(...scores))).toBe(700);
  });

  it('is causal: the scores of a prefix do not change when rows are appended', async () => {
    const x = periodicSeries({ n: 500, seed: 3 });
    const full = (await run(csvOf(x), 100)).lines;
    const prefix = (await run(csvOf(x.slice(0, 350)), 100)).lines;
    expect(prefix).toEqual(full.slice(0, 350));
  });

  it('rejected rows (no usable value, bad timestamp) score 0 and keep the row count', async () => {
    const csv = 'timestamp,value\n2026-01-01 00:00:00,1\n2026-01-01 00:05:00,nan\nnot-a-time,3\n2026-01-01 00:15:00,\n2026-01-01 00:20:00,5\n';
    const { lines, res } = await run(csv, 1);
    expect(lines).toHaveLength(5);
    expect(res.rejected).toBe(3);
    expect(res.firstRejected).toEqual({ row: 2, reason: 'no numeric value in "2026-01-01 00:05:00,nan"' });
    expect(lines[1]).toBe('0');
    expect(lines[2]).toBe('0');
    const late = await run('timestamp,value\n2026-01-01 00:00:00,1\nnot-a-time,3\n');
    expect(late.res.firstRejected).toEqual({ row: 2, reason: 'unreadable timestamp "not-a-time"' });
  });

  it('reads quoted cells, and scores them like unquoted ones', async () => {
    const x = periodicSeries({ n: 300, seed: 5 });
    const plain = await run(csvOf(x), 100);
    const quoted = await run(csvOf(x).replace(/[^,\n]+/g, (cell) => `"${cell}"`), 100);
    expect(quoted.res.rejected).toBe(0);
    expect(quoted.lines).toEqual(plain.lines);
  });

  it('several value columns are one multi-metric component', async () => {
    const x = periodicSeries({ n: 400, seed: 4 });
    const { lines, res } = await run(csvOf(x, (i) => String(2 * x[i])), 100);
    expect(lines).toHaveLength(400);
    expect(res.rejected).toBe(0);
  });

  it('rejects a missing header with InvalidArgumentError', async () => {
    await expect(run('')).rejects.toBeInstanceOf(InvalidArgumentError);
    const usage = "'csv' header must be a time column then one or more named value columns ('timestamp,<metric>[,<metric>...]')";
    await expect(run('value\n1\n')).rejects.toThrow(`${usage}, got "value"`);
    await expect(run('timestamp,value,\n1,2,3\n')).rejects.toThrow(`${usage}, got "timestamp,value,"`);
    // a non-text file is named as such, and no raw bytes reach the message
    await expect(run('\u007fELF\u0002\u0000\u0000>\n')).rejects.toThrow("'csv' input is binary data, not CSV text");
    await expect(run('\u00e9t\u00e9\u0007,x\n')).rejects.toThrow(`${usage}, got "\\u00e9t\\u00e9\\u0007,x"`);
  });

  it('rejects a header that names a column twice or has more value columns than one component may have', async () => {
    await expect(run('timestamp,value,value\n1,2,3\n')).rejects.toThrow(`'csv' header names the value column "value" twice`);
    const wide = ['timestamp', ...Array.from({ length: 41 }, (_, i) => `m${i}`)].join(',');
    await expect(run(`${wide}\n`)).rejects.toThrow("'csv' header has 41 value columns; one component has at most 40 metrics (split the columns over several files)");
  });

  it('a row with more cells than the header is rejected (scored 0), saying so', async () => {
    const { lines, res } = await run('timestamp,value\n2026-01-01 00:00:00,1\n2026-01-01 00:05:00,2,3\n2026-01-01 00:10:00,3\n', 1);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('0');
    expect(res).toMatchObject({ rows: 3, rejected: 1, firstRejected: { row: 2, reason: '3 cells but the header has 2 columns' } });
  });

  it('probation 0: scoring starts at the second row (the detector needs one sample), not after the default warm-up', async () => {
    const x = periodicSeries({ n: 400, seed: 6 });
    x[200] = 400;
    const { lines } = await run(csvOf(x), 0);
    expect(lines[0]).toBe('0');
    expect(Number(lines[200])).toBeGreaterThan(0.5);
  });
});

describe('parseTimestamp', () => {
  it('reads NAB timestamps as UTC, ISO with offsets, epoch seconds and milliseconds', () => {
    expect(parseTimestamp('2014-04-01 00:05:00')).toBe(Date.UTC(2014, 3, 1, 0, 5));
    expect(parseTimestamp('2014-04-01 00:05:00.500000')).toBe(Date.UTC(2014, 3, 1, 0, 5) + 500);
    expect(parseTimestamp('2014-04-01T02:05:00+02:00')).toBe(Date.UTC(2014, 3, 1, 0, 5));
    expect(parseTimestamp('1700000000')).toBe(1_700_000_000_000);
    expect(parseTimestamp('1700000000123')).toBe(1_700_000_000_123);
    expect(parseTimestamp('yesterday')).toBeNaN();
    expect(parseTimestamp('')).toBeNaN();
  });
});

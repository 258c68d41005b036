import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../../..');

/** Runs `x0 detect` (the CLI's source through tsx) with `csv` on stdin. */
function detect(csv: string | Buffer, env: Record<string, string> = {}): { code: number | null; out: string[]; err: string } {
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'apps/cli/src/main.ts'), 'detect'], {
    cwd: root,
    input: csv,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, out: res.stdout.split('\n').filter((l) => l !== ''), err: res.stderr };
}

function series(n: number, bad: (i: number) => boolean = () => false): string {
  const t0 = Date.UTC(2026, 0, 1);
  const rows = Array.from({ length: n }, (_, i) => `${bad(i) ? 'not-a-time' : new Date(t0 + i * 60_000).toISOString()},${(50 + 10 * Math.sin(i / 9) + (i === n - 5 ? 80 : 0)).toFixed(3)}`);
  return `timestamp,value\n${rows.join('\n')}\n`;
}

describe('x0 detect', () => {
  it('prints one score in [0,1] per row, silently when every row is usable', () => {
    const { code, out, err } = detect(series(300), { NAB_PROBATION: '100' });
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toHaveLength(300);
    const scores = out.map(Number);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(scores.slice(0, 100).every((s) => s === 0)).toBe(true); // probation
    expect(Math.max(...scores)).toBe(scores[295]); // the spike
  });

  it('says how many rows were rejected and why the first was, and still prints a line per row', () => {
    const { code, out, err } = detect(series(120, (i) => i === 7 || i === 50));
    expect(code).toBe(0);
    expect(out).toHaveLength(120);
    expect(err).toBe('x0: 2 of 120 rows rejected and scored 0; the first, data row 8: unreadable timestamp "not-a-time"\n');
  });

  it('exits 1 when no row can be scored, and on input that is not CSV', () => {
    const none = detect(series(5, () => true));
    expect(none.code).toBe(1);
    expect(none.out).toEqual(['0', '0', '0', '0', '0']);
    expect(none.err).toMatch(/x0: no row could be scored/);
    const binary = detect(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x00, 0x00, 0x0a]));
    expect(binary.code).toBe(1);
    expect(binary.err).toBe("x0: 'csv' input is binary data, not CSV text\n");
  });

  it('rejects a bad NAB_PROBATION as a usage error (exit 2): only decimal digits', () => {
    for (const bad of ['-3', '0x10', '1e3', '1.5', '99999999999999999999']) {
      const { code, err } = detect(series(10), { NAB_PROBATION: bad });
      expect([bad, code]).toEqual([bad, 2]);
      expect(err).toContain(`NAB_PROBATION must be a non-negative integer (decimal digits), got ${JSON.stringify(bad)}`);
    }
  });

  it('a header without data rows: no scores, exit 0, and a note on stderr', () => {
    expect(detect('timestamp,value\r\n')).toEqual({ code: 0, out: [], err: 'x0: the input has a header but no data rows: nothing to score\n' });
  });
});

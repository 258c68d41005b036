import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FailedPreconditionError } from '@x0/core';
import type { CollectionConfig, PointInput } from '../types';
import { EmbeddedVectorStore } from './embedded-vector-store';

const CONFIG: CollectionConfig = {
  vectors: { sig: { size: 8, distance: 'cosine' } },
  sparseVectors: { text: { modifier: 'idf' } },
  payloadIndexes: { kind: 'keyword' },
};

function points(from: number, to: number, tag = 'v1'): PointInput[] {
  const out: PointInput[] = [];
  for (let i = from; i < to; i++) {
    const sig = Array.from({ length: 8 }, (_, j) => Math.sin(i * 7.3 + j * 1.1) + (j === i % 8 ? 2 : 0));
    out.push({ id: `p${i}`, vectors: { sig, text: { indices: [i % 5, 100 + (i % 3)], values: [1, 0.5] } }, payload: { kind: `k${i % 4}`, i, tag } });
  }
  return out;
}

describe('EmbeddedVectorStore persistence', () => {
  let dir: string;
  const open: EmbeddedVectorStore[] = [];
  async function reopen(opts: Partial<ConstructorParameters<typeof EmbeddedVectorStore>[0]> = {}): Promise<EmbeddedVectorStore> {
    const s = new EmbeddedVectorStore({ dataDir: dir, ...opts });
    open.push(s);
    await s.start();
    return s;
  }
  const walFile = (c: string) => {
    const files = fs.readdirSync(path.join(dir, 'vector-store', c)).filter((f) => f.startsWith('wal-'));
    return path.join(dir, 'vector-store', c, files[0]);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-vs-persist-'));
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('restart - points, deletes, payload indexes and search results survive', async () => {
    const a = await reopen();
    await a.createCollection('inc', CONFIG);
    await a.upsert('inc', points(0, 50));
    await a.delete('inc', { ids: ['p3', 'p4'] });
    await a.delete('inc', { filter: { must: [{ key: 'kind', match: { value: 'k1' } }] } });
    await a.upsert('inc', points(10, 12, 'v2'));
    const query = { using: 'sig', vector: points(7, 8)[0].vectors.sig as number[], limit: 5 };
    const before = await a.search('inc', query);
    const sparseBefore = await a.search('inc', { using: 'text', vector: { indices: [2, 101], values: [1, 1] }, limit: 10 });
    await a.stop();

    const b = await reopen();
    expect(await b.listCollections()).toEqual(['inc']);
    expect(await b.count('inc')).toBe(await countExpected());
    expect(await b.search('inc', query)).toEqual(before);
    expect(await b.search('inc', { using: 'text', vector: { indices: [2, 101], values: [1, 1] }, limit: 10 })).toEqual(sparseBefore);
    expect((await b.retrieve('inc', ['p10']))[0].payload.tag).toBe('v2');
    expect(await b.retrieve('inc', ['p3', 'p5'])).toEqual([]); // p3 deleted by id, p5 (k1) by filter
    expect(b.recovery.get('inc')).toEqual({ generation: 0, snapshotPoints: 0, logRecords: 4, discardedBytes: 0 });

    async function countExpected(): Promise<number> {
      // 50 points, minus p3/p4, minus kind k1 (i % 4 === 1), plus p10/p11 written again afterwards.
      const ids = new Set(points(0, 50).map((p) => p.id));
      ids.delete('p3');
      ids.delete('p4');
      for (let i = 0; i < 50; i++) if (i % 4 === 1) ids.delete(`p${i}`);
      ids.add('p10');
      ids.add('p11');
      return ids.size;
    }
  });

  it('crash - a torn log tail is dropped and writing goes on after it', async () => {
    const a = await reopen();
    await a.createCollection('inc', CONFIG);
    await a.upsert('inc', points(0, 10));
    await a.upsert('inc', points(10, 20));
    const file = walFile('inc');
    const size = fs.statSync(file).size;
    // Simulate a crash in the middle of the second append: keep only part of its bytes.
    const firstRecordEnd = 8 + fs.readFileSync(file).readUInt32LE(0);
    fs.truncateSync(file, firstRecordEnd + Math.floor((size - firstRecordEnd) / 2));
    // A process killed mid-write is gone without stop(): abandon `a` (the lock has our pid).
    const warnings: string[] = [];
    const b = await reopen({ onWarning: (m) => warnings.push(m) });
    expect(await b.count('inc')).toBe(10);
    expect(b.recovery.get('inc')!.discardedBytes).toBe(Math.floor((size - firstRecordEnd) / 2));
    expect(warnings).toEqual(['vector store log had a torn or corrupt tail; it was dropped']);
    expect(fs.statSync(file).size).toBe(firstRecordEnd);
    await b.upsert('inc', points(20, 25));
    await b.stop();
    const c = await reopen();
    expect(await c.count('inc')).toBe(15);
    expect(c.recovery.get('inc')!.discardedBytes).toBe(0);
  });

  it('crash - a record with a bad checksum ends replay there', async () => {
    const a = await reopen();
    await a.createCollection('inc', CONFIG);
    await a.upsert('inc', points(0, 10));
    await a.upsert('inc', points(10, 20));
    await a.stop();
    const file = walFile('inc');
    const buf = fs.readFileSync(file);
    buf[buf.length - 3] ^= 0xff; // flip bits inside the second record
    fs.writeFileSync(file, buf);
    const b = await reopen();
    expect(await b.count('inc')).toBe(10);
    expect(b.recovery.get('inc')!.discardedBytes).toBeGreaterThan(0);
  });

  it('compaction - snapshot plus log reload the same state; stale files are swept', async () => {
    const a = await reopen({ compactMinBytes: 4096 });
    await a.createCollection('inc', CONFIG);
    for (let i = 0; i < 10; i++) await a.upsert('inc', points(i * 20, i * 20 + 20));
    await a.delete('inc', { ids: ['p0', 'p1'] });
    const colDir = path.join(dir, 'vector-store', 'inc');
    const snapshots = fs.readdirSync(colDir).filter((f) => f.startsWith('snapshot-'));
    expect(snapshots).toHaveLength(1); // auto-compacted past 4 KiB, older generations removed
    await a.compact('inc');
    await a.upsert('inc', points(500, 505));
    await a.stop();
    // Leftovers of a crash during a later compaction: a temp file and a stale old log.
    fs.writeFileSync(path.join(colDir, 'snapshot-999.bin.tmp-1'), 'partial');
    fs.writeFileSync(path.join(colDir, 'wal-0.log'), 'stale');
    const b = await reopen();
    expect(await b.count('inc')).toBe(203);
    const report = b.recovery.get('inc')!;
    expect(report.snapshotPoints).toBe(198);
    expect(report.logRecords).toBe(1);
    expect(fs.readdirSync(colDir).sort()).toEqual(['config.json', `snapshot-${report.generation}.bin`, `wal-${report.generation}.log`]);
  });

  it('corruption - a damaged snapshot fails loudly instead of losing data', async () => {
    const a = await reopen();
    await a.createCollection('inc', CONFIG);
    await a.upsert('inc', points(0, 30));
    await a.compact('inc');
    await a.stop();
    const colDir = path.join(dir, 'vector-store', 'inc');
    const snap = path.join(colDir, fs.readdirSync(colDir).find((f) => f.startsWith('snapshot-'))!);
    fs.truncateSync(snap, fs.statSync(snap).size - 10);
    const b = new EmbeddedVectorStore({ dataDir: dir });
    await expect(b.start()).rejects.toThrow(FailedPreconditionError);
    await expect(new EmbeddedVectorStore({ dataDir: dir }).start()).rejects.toThrow(/snapshot-1\.bin is damaged/);
  });

  it('lock - a data directory held by another live process is refused', async () => {
    fs.mkdirSync(path.join(dir, 'vector-store'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'vector-store', 'LOCK'), String(process.ppid));
    await expect(new EmbeddedVectorStore({ dataDir: dir }).start()).rejects.toThrow(`is in use by process ${process.ppid}`);
  });

  it('crash - a process killed with SIGKILL while writing leaves only whole batches', async () => {
    const script = path.join(__dirname, '__fixtures__', 'writer.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.resolve(__dirname, '../../../..') });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('\n').filter((l) => l.startsWith('batch')).length >= 5) resolve();
      });
      child.on('exit', (code) => reject(new Error(`writer exited early with ${code}: ${out}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const acked = out.split('\n').filter((l) => l.startsWith('batch')).length;
    const s = await reopen();
    const n = await s.count('inc');
    // Every acknowledged batch is there, and only whole batches of 50 (a torn one is dropped).
    expect(n % 50).toBe(0);
    expect(n / 50).toBeGreaterThanOrEqual(acked);
    const all = await s.retrieve('inc', Array.from({ length: n }, (_, i) => `w${i}`), { withVectors: true });
    expect(all).toHaveLength(n);
    for (const p of all) expect(p.vectors!.sig).toHaveLength(8);
  }, 30_000);
});

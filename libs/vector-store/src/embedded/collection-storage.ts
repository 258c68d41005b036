import fs from 'node:fs';
import path from 'node:path';
import { FailedPreconditionError } from '@x0/core';
import type { CollectionConfig } from '../types';
import type { CheckedPoint } from '../validation';
import { decodeRecord, encodeSnapshotEnd, encodeSnapshotHeader, encodeUpsert, OP_DELETE, OP_SNAPSHOT_END, OP_SNAPSHOT_HEADER, OP_UPSERT, type LogRecord } from './codec';
import { frame, fsyncDir, readFrames, writeFileAtomic } from './framing';

/** File format version written in config.json and snapshot headers. */
export const FORMAT_VERSION = 1;
const SNAPSHOT = /^snapshot-(\d+)\.bin$/;
const WAL = /^wal-(\d+)\.log$/;
const POINTS_PER_SNAPSHOT_RECORD = 1024;

/** What loading a collection found (for logs and tests). */
export interface RecoveryReport {
  generation: number;
  snapshotPoints: number;
  logRecords: number;
  /** Bytes of a torn or corrupt log tail that were dropped (and truncated away). */
  discardedBytes: number;
}

/** How writes reach the disk: `fsync` (default) syncs the log before a write resolves; `none` leaves it to the OS. */
export type Durability = 'fsync' | 'none';

/**
 * The files of one collection directory:
 *   config.json         collection config (written atomically)
 *   snapshot-<g>.bin    all points at compaction g (framed records; written to a temp file, fsynced, renamed)
 *   wal-<g>.log         every change since snapshot g (framed records with CRC-32, append-only)
 * Loading takes the highest complete snapshot and replays its log, stopping at a torn tail.
 */
export class CollectionStorage {
  private fd: number | undefined;
  private generation = 0;
  private walBytes = 0;
  private snapshotBytes = 0;

  constructor(
    readonly dir: string,
    private readonly durability: Durability,
  ) {}

  /** Bytes appended to the current log (compaction trigger). */
  get logBytes(): number {
    return this.walBytes;
  }

  /** Size of the last snapshot. */
  get lastSnapshotBytes(): number {
    return this.snapshotBytes;
  }

  /** Creates the directory and writes config.json atomically. */
  static create(dir: string, name: string, config: CollectionConfig): void {
    fs.mkdirSync(dir, { recursive: true });
    CollectionStorage.writeConfig(dir, name, config);
    fsyncDir(path.dirname(dir));
  }

  /** Rewrites config.json atomically (e.g. after adding payload indexes). */
  static writeConfig(dir: string, name: string, config: CollectionConfig): void {
    writeFileAtomic(path.join(dir, 'config.json'), [Buffer.from(JSON.stringify({ format: FORMAT_VERSION, name, config }, null, 2))]);
  }

  /** Reads config.json; undefined when the directory holds no complete collection. */
  static readConfig(dir: string): { name: string; config: CollectionConfig } | undefined {
    const file = path.join(dir, 'config.json');
    if (!fs.existsSync(file)) return undefined;
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (json.format !== FORMAT_VERSION) throw new FailedPreconditionError(`${file}: unsupported format ${json.format}`);
    return { name: json.name, config: json.config };
  }

  /**
   * Replays the newest snapshot and its log through `apply`, truncates a torn log tail,
   * removes files of older generations, and opens the log for appending.
   */
  load(apply: (record: LogRecord) => void): RecoveryReport {
    const files = fs.readdirSync(this.dir);
    const gens = files.map((f) => SNAPSHOT.exec(f)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1]));
    this.generation = gens.length > 0 ? Math.max(...gens) : 0;
    let snapshotPoints = 0;
    if (gens.length > 0) {
      const file = this.snapshotFile(this.generation);
      const scan = readFrames(file);
      const records = scan.bodies.map(decodeRecord);
      const end = records[records.length - 1];
      if (scan.discardedBytes > 0 || records[0]?.op !== OP_SNAPSHOT_HEADER || end?.op !== OP_SNAPSHOT_END) {
        throw new FailedPreconditionError(`${file} is damaged (a snapshot is renamed into place only when complete): restore it from a backup or remove the collection directory`);
      }
      for (const r of records) {
        if (r.op !== OP_UPSERT) continue;
        apply(r);
        snapshotPoints += r.points.length;
      }
      if (snapshotPoints !== end.count) throw new FailedPreconditionError(`${file} holds ${snapshotPoints} points, its end marker says ${end.count}`);
      this.snapshotBytes = fs.statSync(file).size;
    }
    const wal = this.walFile(this.generation);
    let logRecords = 0;
    let discardedBytes = 0;
    if (fs.existsSync(wal)) {
      const scan = readFrames(wal);
      let good = 0;
      for (const body of scan.bodies) {
        let record: LogRecord;
        try {
          record = decodeRecord(body);
        } catch {
          break; // CRC matched but content is not a record: stop like at a torn tail.
        }
        if (record.op !== OP_UPSERT && record.op !== OP_DELETE) break;
        apply(record);
        logRecords++;
        good += body.length + 8;
      }
      discardedBytes = fs.statSync(wal).size - good;
      if (discardedBytes > 0) fs.truncateSync(wal, good);
      this.walBytes = good;
    }
    for (const f of files) {
      const g = SNAPSHOT.exec(f) ?? WAL.exec(f);
      if ((g && Number(g[1]) < this.generation) || f.includes('.tmp-')) fs.rmSync(path.join(this.dir, f), { force: true });
    }
    this.fd = fs.openSync(wal, 'a');
    return { generation: this.generation, snapshotPoints, logRecords, discardedBytes };
  }

  /** Appends one record to the log (and fsyncs it, with `fsync` durability). */
  append(body: Buffer): void {
    if (this.fd === undefined) throw new FailedPreconditionError(`collection at ${this.dir} is closed`);
    const buf = frame(body);
    fs.writeSync(this.fd, buf);
    if (this.durability === 'fsync') fs.fdatasyncSync(this.fd);
    this.walBytes += buf.length;
  }

  /**
   * Writes all points as snapshot g+1 (temp file, fsync, rename), starts an empty log g+1,
   * then deletes generation g. A crash at any step leaves a loadable directory.
   */
  compact(points: Iterable<CheckedPoint>, meta: Record<string, unknown>): void {
    const next = this.generation + 1;
    let count = 0;
    function* frames(): Generator<Buffer> {
      yield frame(encodeSnapshotHeader({ ...meta, format: FORMAT_VERSION, generation: next }));
      let batch: CheckedPoint[] = [];
      for (const p of points) {
        batch.push(p);
        if (batch.length === POINTS_PER_SNAPSHOT_RECORD) {
          count += batch.length;
          yield frame(encodeUpsert(batch));
          batch = [];
        }
      }
      count += batch.length;
      if (batch.length > 0) yield frame(encodeUpsert(batch));
      yield frame(encodeSnapshotEnd(count));
    }
    this.snapshotBytes = writeFileAtomic(this.snapshotFile(next), frames());
    const old = this.generation;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = fs.openSync(this.walFile(next), 'a');
    fsyncDir(this.dir);
    this.generation = next;
    this.walBytes = 0;
    fs.rmSync(this.walFile(old), { force: true });
    fs.rmSync(this.snapshotFile(old), { force: true });
  }

  /** Closes the log file. Safe to call twice. */
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private snapshotFile(g: number): string {
    return path.join(this.dir, `snapshot-${g}.bin`);
  }

  private walFile(g: number): string {
    return path.join(this.dir, `wal-${g}.log`);
  }
}

import { deepFreeze, type CheckedPoint, type NormalizedSparse } from '../validation';

/** Record types in logs and snapshots. */
export const OP_UPSERT = 1;
export const OP_DELETE = 2;
export const OP_SNAPSHOT_HEADER = 10;
export const OP_SNAPSHOT_END = 11;

/** A decoded log or snapshot record. */
export type LogRecord =
  | { op: typeof OP_UPSERT; points: CheckedPoint[] }
  | { op: typeof OP_DELETE; ids: string[] }
  | { op: typeof OP_SNAPSHOT_HEADER; meta: Record<string, unknown> }
  | { op: typeof OP_SNAPSHOT_END; count: number };

const KIND_DENSE = 0;
const KIND_SPARSE = 1;

/** Append-only little-endian byte writer that grows its buffer by doubling. */
class Writer {
  buf = Buffer.allocUnsafe(4096);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }
  str(s: string): void {
    const len = Buffer.byteLength(s);
    this.u32(len);
    this.ensure(len);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += len;
  }
  bytes(view: ArrayBufferView): void {
    this.ensure(view.byteLength);
    this.buf.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), this.pos);
    this.pos += view.byteLength;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    return this.buf[this.pos++];
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  str(): string {
    const len = this.u32();
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  f32(n: number): Float32Array {
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(this.buf.subarray(this.pos, this.pos + n * 4));
    this.pos += n * 4;
    return out;
  }
  u32s(n: number): Uint32Array {
    const out = new Uint32Array(n);
    new Uint8Array(out.buffer).set(this.buf.subarray(this.pos, this.pos + n * 4));
    this.pos += n * 4;
    return out;
  }
}

/** Encodes an upsert of checked points. */
export function encodeUpsert(points: readonly CheckedPoint[]): Buffer {
  const w = new Writer();
  w.u8(OP_UPSERT);
  w.u32(points.length);
  for (const p of points) {
    w.str(p.id);
    w.u8(p.dense.size + p.sparse.size);
    for (const [name, v] of p.dense) {
      w.str(name);
      w.u8(KIND_DENSE);
      w.u32(v.length);
      w.bytes(v);
    }
    for (const [name, v] of p.sparse) {
      w.str(name);
      w.u8(KIND_SPARSE);
      w.u32(v.indices.length);
      w.bytes(v.indices);
      w.bytes(v.values);
    }
    w.str(p.payloadJson ?? JSON.stringify(p.payload));
  }
  return w.done();
}

/** Encodes a delete of ids. */
export function encodeDelete(ids: readonly string[]): Buffer {
  const w = new Writer();
  w.u8(OP_DELETE);
  w.u32(ids.length);
  for (const id of ids) w.str(id);
  return w.done();
}

/** Encodes a snapshot header carrying JSON metadata. */
export function encodeSnapshotHeader(meta: Record<string, unknown>): Buffer {
  const w = new Writer();
  w.u8(OP_SNAPSHOT_HEADER);
  w.str(JSON.stringify(meta));
  return w.done();
}

/** Encodes the end marker of a snapshot with the number of points it holds. */
export function encodeSnapshotEnd(count: number): Buffer {
  const w = new Writer();
  w.u8(OP_SNAPSHOT_END);
  w.u32(count);
  return w.done();
}

/** Decodes one record body; throws on malformed content (callers treat that as corruption). */
export function decodeRecord(body: Buffer): LogRecord {
  const r = new Reader(body);
  const op = r.u8();
  switch (op) {
    case OP_UPSERT: {
      const n = r.u32();
      const points: CheckedPoint[] = [];
      for (let i = 0; i < n; i++) {
        const id = r.str();
        const nv = r.u8();
        const dense = new Map<string, Float32Array>();
        const sparse = new Map<string, NormalizedSparse>();
        for (let j = 0; j < nv; j++) {
          const name = r.str();
          const kind = r.u8();
          const len = r.u32();
          if (kind === KIND_DENSE) dense.set(name, r.f32(len));
          else if (kind === KIND_SPARSE) {
            const indices = r.u32s(len);
            sparse.set(name, { indices, values: r.f32(len) });
          } else throw new Error(`unknown vector kind ${kind}`);
        }
        const payloadJson = r.str();
        points.push({ id, dense, sparse, payload: deepFreeze(JSON.parse(payloadJson)), payloadJson });
      }
      return { op, points };
    }
    case OP_DELETE: {
      const n = r.u32();
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(r.str());
      return { op, ids };
    }
    case OP_SNAPSHOT_HEADER:
      return { op, meta: JSON.parse(r.str()) };
    case OP_SNAPSHOT_END:
      return { op, count: r.u32() };
    default:
      throw new Error(`unknown record type ${op}`);
  }
}

import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { InvalidArgumentError } from '@x0/core';
import { CAL_BINS } from './calibrator';
import { C, C_SIZE_V1, ComponentModel, type ComponentSettings } from './component-model';
import { adapterSize, HIST_SIZE, newMetricState, S, SEASON_SIZE } from './metric-model';
import { JumpCounts } from './jump-counts';
import { J, newJointState } from './multi-metric';
import { RING_LENGTH } from './ring';

/**
 * Binary snapshot of one component:
 *
 *   "X0AD" | u16 format | u32 model tag | u32 CRC-32 of the body | deflate-raw(body)
 *
 *   body (little endian) = u16 C.SIZE, S.SIZE, RING, HIST, ADAPTER, SEASON, metrics | u8 severity
 *     | f64 × C.SIZE
 *     | per metric: u16 name bytes, utf-8 name, f64 × S.SIZE, f32 × (RING + HIST + ADAPTER + SEASON)
 *     | u16 joint dim; when > 0: f64 × J.SIZE, f32 × dim scales, f32 upper-triangle covariance, u16 k, f32 × k·dim basis, f32 × CAL_BINS
 *     | optional, when the component has jump counts: u16 metrics, f64 × PLAIN·metrics, f64 × JC.SIZE
 *
 * Snapshots written before the evidence window (C.SIZE 5) are read with an empty window; those
 * written before the jump counts end after the joint model and are read without them (the counts
 * then start afresh and stay silent for a warm-up).
 * Every number is stored in the type it has in memory, so a restored component continues with
 * bit-identical scores. 38 metrics take about 30 KB.
 */
const MAGIC = 0x44413058; // "X0AD" as little-endian u32
const FORMAT = 3;

class Writer {
  private buf = new Uint8Array(4096);
  private dv = new DataView(this.buf.buffer);
  length = 0;
  private need(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf);
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.need(1);
    this.dv.setUint8(this.length++, v);
  }
  u16(v: number): void {
    this.need(2);
    this.dv.setUint16(this.length, v, true);
    this.length += 2;
  }
  f64s(a: ArrayLike<number>): void {
    this.need(8 * a.length);
    for (let i = 0; i < a.length; i++, this.length += 8) this.dv.setFloat64(this.length, a[i], true);
  }
  f32s(a: ArrayLike<number>): void {
    this.need(4 * a.length);
    for (let i = 0; i < a.length; i++, this.length += 4) this.dv.setFloat32(this.length, a[i], true);
  }
  bytes(b: Uint8Array): void {
    this.need(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

class Reader {
  private o = 0;
  private readonly dv: DataView;
  constructor(
    private readonly b: Uint8Array,
    private readonly bad: (why: string) => never,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  private take(n: number): number {
    if (this.o + n > this.b.length) this.bad('truncated');
    const at = this.o;
    this.o += n;
    return at;
  }
  u8(): number {
    return this.dv.getUint8(this.take(1));
  }
  u16(): number {
    return this.dv.getUint16(this.take(2), true);
  }
  f64s(out: Float64Array): void {
    const at = this.take(8 * out.length);
    for (let i = 0; i < out.length; i++) out[i] = this.dv.getFloat64(at + 8 * i, true);
  }
  f32s(out: Float32Array): void {
    const at = this.take(4 * out.length);
    for (let i = 0; i < out.length; i++) out[i] = this.dv.getFloat32(at + 4 * i, true);
  }
  bytes(n: number): Uint8Array {
    const at = this.take(n);
    return this.b.subarray(at, at + n);
  }
  done(): boolean {
    return this.o === this.b.length;
  }
}

/** Serialises a component's state. */
export function encodeComponent(model: ComponentModel, modelTag: number): Uint8Array {
  const A = adapterSize(model.featureDim);
  const w = new Writer();
  for (const v of [C.SIZE, S.SIZE, RING_LENGTH, HIST_SIZE, A, SEASON_SIZE, model.names.length]) w.u16(v);
  w.u8(model.severityCode());
  w.f64s(model.c);
  model.metrics.forEach((st, m) => {
    const name = Buffer.from(model.names[m], 'utf8');
    w.u16(name.length);
    w.bytes(name);
    w.f64s(st.s);
    w.f32s(st.ring);
    w.f32s(st.hist);
    w.f32s(st.adapter);
    w.f32s(st.season);
  });
  const j = model.joint;
  w.u16(j ? j.dim : 0);
  if (j) {
    w.f64s(j.s);
    w.f32s(j.scale);
    const tri = new Float32Array((j.dim * (j.dim + 1)) / 2);
    for (let a = 0, t = 0; a < j.dim; a++) for (let b = a; b < j.dim; b++) tri[t++] = j.cov[a * j.dim + b];
    w.f32s(tri);
    w.u16(j.s[J.K]);
    w.f32s(j.basis);
    w.f32s(j.hist);
  }
  const jc = model.jumps;
  if (jc) {
    w.u16(jc.metrics);
    w.f64s(jc.plain);
    w.f64s(jc.s);
  }
  const body = w.result();
  const packed = deflateRawSync(body);
  const out = new Uint8Array(14 + packed.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint16(4, FORMAT, true);
  dv.setUint32(6, modelTag >>> 0, true);
  dv.setUint32(10, crc32(body), true);
  out.set(packed, 14);
  return out;
}

/** Rebuilds a component from `encodeComponent` bytes; throws InvalidArgumentError when they are corrupt or from another format/model. */
export function decodeComponent(bytes: Uint8Array, component: string, cfg: ComponentSettings, modelTag: number): ComponentModel {
  const bad = (why: string): never => {
    throw new InvalidArgumentError('state', `cannot be restored for component '${component}': ${why}`);
  };
  if (!(bytes instanceof Uint8Array) || bytes.length < 14) bad('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) bad('not an anomaly-detector snapshot');
  const format = dv.getUint16(4, true);
  if (format !== FORMAT) bad(`format ${format}, this build reads ${FORMAT}`);
  const tag = dv.getUint32(6, true);
  if (tag !== modelTag >>> 0) bad(`written by another model (tag ${tag.toString(16)}, running ${(modelTag >>> 0).toString(16)})`);
  let body: Uint8Array = new Uint8Array(0);
  try {
    body = new Uint8Array(inflateRawSync(bytes.subarray(14)));
  } catch {
    bad('corrupt (cannot inflate)');
  }
  if (crc32(body) !== dv.getUint32(10, true)) bad('checksum mismatch (corrupt)');
  const r = new Reader(body, bad);
  const A = adapterSize(cfg.featureDim);
  const want = [C.SIZE, S.SIZE, RING_LENGTH, HIST_SIZE, A, SEASON_SIZE];
  const got = want.map(() => r.u16());
  // snapshots from before the evidence window have fewer component scalars: read with it empty
  const cSize = got[0] === C_SIZE_V1 ? C_SIZE_V1 : C.SIZE;
  if (got.some((v, i) => v !== (i === 0 ? cSize : want[i]))) bad(`incompatible layout ${got.join('/')}; this build writes ${want.join('/')}`);
  const nMetrics = r.u16();
  if (nMetrics > cfg.maxMetrics) bad(`${nMetrics} metrics, more than maxMetrics ${cfg.maxMetrics}`);
  const model = new ComponentModel(component, cfg);
  model.setSeverityCode(r.u8());
  r.f64s(model.c.subarray(0, cSize));
  for (let m = 0; m < nMetrics; m++) {
    const name = Buffer.from(r.bytes(r.u16())).toString('utf8');
    const st = newMetricState(cfg.featureDim);
    r.f64s(st.s);
    r.f32s(st.ring);
    r.f32s(st.hist);
    r.f32s(st.adapter);
    r.f32s(st.season);
    if (name === '' || model.metricIndex(name, false) >= 0) bad(`bad or duplicate metric name '${name}'`);
    model.addMetric(name, st);
  }
  const dim = r.u16();
  if (dim > 0) {
    if (dim > nMetrics) bad(`joint model over ${dim} metrics, only ${nMetrics} present`);
    const j = newJointState(dim);
    r.f64s(j.s);
    r.f32s(j.scale);
    const tri = new Float32Array((dim * (dim + 1)) / 2);
    r.f32s(tri);
    for (let a = 0, t = 0; a < dim; a++) for (let b = a; b < dim; b++, t++) j.cov[a * dim + b] = j.cov[b * dim + a] = tri[t];
    const k = r.u16();
    if (k !== j.s[J.K] || k > dim) bad('inconsistent joint model');
    j.basis = new Float32Array(k * dim);
    r.f32s(j.basis);
    j.hist = new Float32Array(CAL_BINS);
    r.f32s(j.hist);
    model.joint = j;
  }
  if (!r.done()) {
    const n = r.u16();
    if (n > nMetrics) bad(`jump counts over ${n} metrics, only ${nMetrics} present`);
    const jc = new JumpCounts(n);
    r.f64s(jc.plain);
    r.f64s(jc.s);
    // (a detector without jump counts reads them and lets them go)
    if (cfg.jumpCounts) model.jumps = jc;
  }
  if (!r.done()) bad('trailing bytes');
  return model;
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE). */
export function crc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

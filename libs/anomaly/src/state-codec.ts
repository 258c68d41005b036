import { InvalidArgumentError } from '@x0/core';
import { C, ComponentModel, type ComponentSettings } from './component-model';
import { adapterSize, HIST_SIZE, S, type MetricState } from './metric-model';
import { RING_LENGTH } from './ring';

/**
 * Binary snapshot of one component (little endian):
 *
 *   "X0AD" | u16 format | u16 C.SIZE | u16 S.SIZE | u16 RING | u16 HIST | u16 ADAPTER | u16 metrics | u8 severity | u8 0
 *   | u32 model tag | f64 × C.SIZE
 *   | per metric: u16 name bytes, utf-8 name, f64 × S.SIZE, f32 × RING, f32 × HIST, f32 × ADAPTER
 *   | u32 CRC-32 of everything before it
 *
 * Every number is stored in the type it has in memory, so a restored component continues
 * with bit-identical scores.
 */
const MAGIC = 0x44413058; // "X0AD" read as little-endian u32
const FORMAT = 1;
const HEADER = 4 + 2 * 7 + 2 + 4;

/** Serialises a component's state. */
export function encodeComponent(model: ComponentModel, modelTag: number): Uint8Array {
  const names = model.names.map((n) => Buffer.from(n, 'utf8'));
  const A = adapterSize(model.featureDim);
  const perMetric = 8 * S.SIZE + 4 * RING_LENGTH + 4 * HIST_SIZE + 4 * A;
  const size = HEADER + 8 * C.SIZE + names.reduce((a, n) => a + 2 + n.length + perMetric, 0) + 4;
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  let o = 0;
  dv.setUint32(o, MAGIC, true);
  o += 4;
  for (const v of [FORMAT, C.SIZE, S.SIZE, RING_LENGTH, HIST_SIZE, A, names.length]) {
    dv.setUint16(o, v, true);
    o += 2;
  }
  dv.setUint8(o++, model.severityCode());
  dv.setUint8(o++, 0);
  dv.setUint32(o, modelTag >>> 0, true);
  o += 4;
  for (let i = 0; i < C.SIZE; i++, o += 8) dv.setFloat64(o, model.c[i], true);
  model.metrics.forEach((st, m) => {
    dv.setUint16(o, names[m].length, true);
    o += 2;
    buf.set(names[m], o);
    o += names[m].length;
    for (let i = 0; i < S.SIZE; i++, o += 8) dv.setFloat64(o, st.s[i], true);
    for (let i = 0; i < RING_LENGTH; i++, o += 4) dv.setFloat32(o, st.ring[i], true);
    for (let i = 0; i < HIST_SIZE; i++, o += 4) dv.setFloat32(o, st.hist[i], true);
    for (let i = 0; i < A; i++, o += 4) dv.setFloat32(o, st.adapter[i], true);
  });
  dv.setUint32(o, crc32(buf.subarray(0, o)), true);
  return buf;
}

/** Rebuilds a component from `encodeComponent` bytes; throws InvalidArgumentError when they are corrupt or from another format/model. */
export function decodeComponent(bytes: Uint8Array, component: string, cfg: ComponentSettings, modelTag: number): ComponentModel {
  const bad = (why: string): never => {
    throw new InvalidArgumentError('state', `cannot be restored for component '${component}': ${why}`);
  };
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER + 8 * C.SIZE + 4) bad('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) bad('not an anomaly-detector snapshot');
  const end = bytes.length - 4;
  if (dv.getUint32(end, true) !== crc32(bytes.subarray(0, end))) bad('checksum mismatch (corrupt)');
  let o = 4;
  const [format, cSize, sSize, ring, hist, adapter, nMetrics] = Array.from({ length: 7 }, () => {
    const v = dv.getUint16(o, true);
    o += 2;
    return v;
  });
  const A = adapterSize(cfg.featureDim);
  if (format !== FORMAT || cSize !== C.SIZE || sSize !== S.SIZE || ring !== RING_LENGTH || hist !== HIST_SIZE || adapter !== A) {
    bad(`incompatible format ${format} (${cSize}/${sSize}/${ring}/${hist}/${adapter}); this build writes ${FORMAT} (${C.SIZE}/${S.SIZE}/${RING_LENGTH}/${HIST_SIZE}/${A})`);
  }
  if (nMetrics > cfg.maxMetrics) bad(`${nMetrics} metrics, more than maxMetrics ${cfg.maxMetrics}`);
  const severity = dv.getUint8(o);
  o += 2;
  const tag = dv.getUint32(o, true);
  o += 4;
  if (tag !== modelTag >>> 0) bad(`written by another model (tag ${tag.toString(16)}, running ${(modelTag >>> 0).toString(16)})`);
  const model = new ComponentModel(component, cfg);
  for (let i = 0; i < C.SIZE; i++, o += 8) model.c[i] = dv.getFloat64(o, true);
  model.setSeverityCode(severity);
  for (let m = 0; m < nMetrics; m++) {
    if (o + 2 > end) bad('truncated');
    const len = dv.getUint16(o, true);
    o += 2;
    if (o + len + 8 * S.SIZE + 4 * (RING_LENGTH + HIST_SIZE + A) > end) bad('truncated');
    const name = Buffer.from(bytes.subarray(o, o + len)).toString('utf8');
    o += len;
    const st: MetricState = { s: new Float64Array(S.SIZE), ring: new Float32Array(RING_LENGTH), hist: new Float32Array(HIST_SIZE), adapter: new Float32Array(A) };
    for (let i = 0; i < S.SIZE; i++, o += 8) st.s[i] = dv.getFloat64(o, true);
    for (let i = 0; i < RING_LENGTH; i++, o += 4) st.ring[i] = dv.getFloat32(o, true);
    for (let i = 0; i < HIST_SIZE; i++, o += 4) st.hist[i] = dv.getFloat32(o, true);
    for (let i = 0; i < A; i++, o += 4) st.adapter[i] = dv.getFloat32(o, true);
    if (name === '' || model.metricIndex(name, false) >= 0) bad(`bad or duplicate metric name '${name}'`);
    model.addMetric(name, st);
  }
  if (o !== end) bad('trailing bytes');
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

import { RING_LENGTH, ringRead } from './ring';

/** Length of `Detection.signature`. */
export const SIGNATURE_DIM = 64;
const SHAPE_DIM = 32;

/**
 * The signature of every detection whose severity is 'none' (and of rejected samples): one shared
 * all-zero vector, so the hot path allocates nothing for it. Read-only by contract.
 */
export const ZERO_SIGNATURE: Float32Array = new Float32Array(SIGNATURE_DIM);
const PROFILE_DIM = SIGNATURE_DIM - SHAPE_DIM;

/** FNV-1a hash of a metric name into [0, buckets). */
export function metricBucket(name: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}

/**
 * Builds the similarity-search signature of a detection (unit L2 norm):
 *  - [0, 32): the last 32 values of the most anomalous metric, standardised by its baseline
 *    (mean, scale) and clipped to ±8: the shape of the recent window;
 *  - [32, 64): each metric's signed deviation (z, clipped to ±8) in a bucket chosen by a hash
 *    of its name (largest magnitude wins): which metrics moved and which way.
 */
export function buildSignature(
  top: { ring: Float32Array; pos: number; fill: number; mean: number; scale: number } | undefined,
  deviations: ReadonlyArray<{ metric: string; z: number }>,
): Float32Array {
  const sig = new Float32Array(SIGNATURE_DIM);
  if (top && top.fill > 0) {
    ringRead(top.ring, 0, top.pos, top.fill, Math.min(SHAPE_DIM, RING_LENGTH), sig, 0, top.mean);
    for (let i = 0; i < SHAPE_DIM; i++) sig[i] = clip8((sig[i] - top.mean) / top.scale);
  }
  for (const { metric, z } of deviations) {
    const b = SHAPE_DIM + metricBucket(metric, PROFILE_DIM);
    const v = clip8(z);
    if (Math.abs(v) > Math.abs(sig[b])) sig[b] = v;
  }
  let norm = 0;
  for (let i = 0; i < SIGNATURE_DIM; i++) norm += sig[i] * sig[i];
  if (norm > 0) {
    const k = 1 / Math.sqrt(norm);
    for (let i = 0; i < SIGNATURE_DIM; i++) sig[i] *= k;
  }
  return sig;
}

function clip8(x: number): number {
  return Number.isFinite(x) ? Math.max(-8, Math.min(8, x)) : 0;
}

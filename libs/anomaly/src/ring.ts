/**
 * Fixed-length windows of recent raw values, one per metric, stored as float32 so that a
 * window rebuilt from a snapshot is bit-identical to the live one.
 */
export const RING_LENGTH = 32;

/** Appends `x` to the ring at `base` in `buf`; `pos`/`fill` live in the caller's state. Returns the new [pos, fill]. */
export function ringPush(buf: Float32Array, base: number, pos: number, fill: number, x: number): [number, number] {
  buf[base + pos] = x;
  return [(pos + 1) % RING_LENGTH, Math.min(RING_LENGTH, fill + 1)];
}

/**
 * Copies the last `len` values (oldest first) into `out` at `outOffset`, padding the front with
 * the oldest value available (or `fallback` when the ring is empty).
 */
export function ringRead(
  buf: Float32Array,
  base: number,
  pos: number,
  fill: number,
  len: number,
  out: Float32Array,
  outOffset: number,
  fallback = 0,
): void {
  const have = Math.min(fill, len);
  const pad = len - have;
  const first = have > 0 ? buf[base + ((pos - have + RING_LENGTH) % RING_LENGTH)] : Math.fround(fallback);
  for (let i = 0; i < pad; i++) out[outOffset + i] = first;
  for (let i = 0; i < have; i++) out[outOffset + pad + i] = buf[base + ((pos - have + i + RING_LENGTH) % RING_LENGTH)];
}

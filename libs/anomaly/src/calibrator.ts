
/**
 * Turns a non-negative raw statistic (a robust z-like deviation) into a surprise
 * s = -log10 p, where p is the upper-tail probability of the statistic under its own
 * recent history: an exponentially decaying histogram over log1p(z) plus one
 * pseudo-observation from a heavy-tailed prior (Student t, 2 degrees of freedom). The prior
 * gives the far tail (beyond anything seen) a ~1/z² shape, so the surprise is bounded by
 * log10(history) for values seen before and grows smoothly beyond them.
 *
 * Point masses (a statistic that is usually exactly 0, quantised values) are handled
 * naturally, which a parametric fit does not do.
 *
 * State: `CAL_BINS` float32 masses in the caller's array at `offset`; the total mass is
 * one float64 slot kept by the caller (so the whole state snapshots exactly).
 */
export const CAL_BINS = 40;
/** Bins per unit of log1p(z). */
const BIN_RES = 5;

function binOf(u: number): number {
  const b = Math.floor(u * BIN_RES);
  return b >= CAL_BINS ? CAL_BINS - 1 : b;
}

/**
 * -log10 P(Z ≥ z) under the histogram. Masses are stored in "units" that grow by 1/keep per
 * update instead of decaying every bin (lazy exponential forgetting): `mass` and the bins are
 * in those units and `unit` is the weight of one new observation. With `pIgnore` > 0 the caller
 * only needs the value when p < pIgnore: 0 may then be returned for any p > pIgnore.
 */
export function calibratorSurprise(hist: Float32Array, offset: number, mass: number, unit: number, z: number, pIgnore = 0): number {
  if (mass < 5 * unit) return 0;
  const u = Math.log1p(z);
  const b = binOf(u);
  if (pIgnore > 0) {
    // Most statistics sit in the body of their distribution: the mass below their bin (a short
    // scan from bin 0) already proves p > pIgnore, and the caller then does not need the value.
    let below = 0;
    for (let j = 0; j <= b; j++) below += hist[offset + j];
    // 10 % margin: `mass` is float64 while the bins are float32
    if (mass - below > 1.1 * pIgnore * (mass + unit)) return 0;
  }
  let tail = 0;
  for (let j = b + 1; j < CAL_BINS; j++) tail += hist[offset + j];
  const frac = b === CAL_BINS - 1 ? 1 : Math.max(0, Math.min(1, ((b + 1) / BIN_RES - u) * BIN_RES));
  tail += frac * hist[offset + b];
  const prior = priorTail(z / referenceLevel(hist, offset, mass));
  const p = (tail / unit + prior) / (mass / unit + 1);
  return p >= 1 ? 0 : -Math.log10(Math.max(p, 1e-300));
}

/**
 * `count` statistics at once (one call per sample, so no number is boxed per statistic):
 * out[d] = the surprise of z[d] under histogram d (bins at d·CAL_BINS of `hist`, mass
 * state[massAt + d], unit state[unitAt]), 0 where z[d] is 0 (p = 1); pIgnore[d] as in
 * `calibratorSurprise`.
 */
export function calibratorSurprises(
  hist: Float32Array,
  state: Float64Array,
  massAt: number,
  unitAt: number,
  z: Float64Array,
  pIgnore: readonly number[],
  out: Float64Array,
  count: number,
): void {
  const unit = state[unitAt];
  for (let d = 0; d < count; d++) out[d] = z[d] === 0 ? 0 : calibratorSurprise(hist, d * CAL_BINS, state[massAt + d], unit, z[d], pIgnore[d]);
}

/**
 * `count` statistics at once: adds z[d] to histogram d (layout as in `calibratorSurprises`) and
 * its mass, then moves time on (`calibratorAdvance`) and stores the new unit in state[unitAt].
 */
export function calibratorUpdates(hist: Float32Array, state: Float64Array, massAt: number, unitAt: number, z: Float64Array, count: number, horizon: number): void {
  const unit = state[unitAt];
  for (let d = 0; d < count; d++) {
    calibratorUpdate(hist, d * CAL_BINS, z[d], unit);
    state[massAt + d] += unit;
  }
  state[unitAt] = calibratorAdvance(hist, state, massAt, count, unit, horizon);
}

const REF_Q = 0.01;
const REF_MIN = 1;

/**
 * The statistic's usual extreme: the value exceeded by REF_Q of its history (upper bin edge),
 * at least REF_MIN. The prior's tail is measured in these units, so a detector whose statistic
 * is routinely large (a noisy seasonal profile) is not more surprising than a quiet one.
 */
function referenceLevel(hist: Float32Array, offset: number, mass: number): number {
  const target = REF_Q * mass;
  let tail = 0;
  for (let j = CAL_BINS - 1; j >= 0; j--) {
    tail += hist[offset + j];
    if (tail >= target) return Math.max(REF_MIN, Math.expm1((j + 1) / BIN_RES));
  }
  return REF_MIN;
}

/** Adds one observation of weight `unit`; the caller adds `unit` to the mass, then calls `calibratorAdvance`. */
export function calibratorUpdate(hist: Float32Array, offset: number, z: number, unit: number): void {
  hist[offset + binOf(Math.log1p(z))] += unit;
}

/** Largest unit before the bins are rescaled (float32 holds up to 3e38). */
const MAX_UNIT = 1e18;

/**
 * Moves time on by one observation with forgetting over `horizon` observations: the next
 * observation weighs 1/keep more. When the unit gets large, every bin of `hist` and every
 * mass in `masses[first .. first+count)` are rescaled. Returns the new unit.
 */
export function calibratorAdvance(hist: Float32Array, masses: Float64Array, first: number, count: number, unit: number, horizon: number): number {
  const next = unit / (1 - 1 / horizon);
  if (next < MAX_UNIT) return next;
  for (let j = 0; j < hist.length; j++) hist[j] /= next;
  for (let k = 0; k < count; k++) masses[first + k] /= next;
  return 1;
}

/** Two-sided tail of a Student t with 2 degrees of freedom: heavy (~1/z²), as real metrics are. */
export function priorTail(z: number): number {
  return 1 - z / Math.sqrt(2 + z * z);
}

/**
 * A forecaster predicts the next value of a metric from its last `windowLength` raw values.
 * Implementations work on many windows at once (one row per metric of each sample in a
 * batch), so the neural one runs a single forward pass per `scoreBatch` call.
 *
 * Besides the forecast it returns the window's centre and spread (the forecast is
 * `center + spread · y` for a normalised `y`) and `featureDim` features per row: the input of a
 * per-metric adapter that corrects the shared model for one metric (see metric-model.ts).
 */
/** Row i of every array is the forecast of window i; arrays may be longer than the batch and are reused by the next call. */
export interface ForecastBatch {
  expected: Float64Array;
  center: Float64Array;
  spread: Float64Array;
  features: Float32Array;
}

export interface Forecaster {
  readonly name: string;
  readonly windowLength: number;
  readonly featureDim: number;
  /** Backend that runs it ('js' for the plain-JavaScript ones). */
  readonly backend: string;
  /** windows: count × windowLength raw values, oldest first. */
  forecast(windows: Float32Array, count: number): ForecastBatch;
  dispose(): void;
}

/**
 * Normalises each window by its last value (centre) and its spread (standard deviation,
 * floored so a flat window does not divide by zero), clipped to ±CLIP. Shared by the
 * forecaster at run time and the training script, so both see the same inputs.
 */
export const CLIP = 8;
export function normaliseWindows(
  windows: Float32Array,
  count: number,
  L: number,
  out: Float32Array,
  center: Float64Array,
  spread: Float64Array,
): void {
  for (let i = 0; i < count; i++) {
    const b = i * L;
    let sum = 0;
    let sq = 0;
    for (let j = 0; j < L; j++) {
      const v = windows[b + j];
      sum += v;
      sq += v * v;
    }
    const mean = sum / L;
    const c = windows[b + L - 1];
    const sd = Math.sqrt(Math.max(0, sq / L - mean * mean));
    const s = Math.max(sd, 1e-6 * (Math.abs(mean) + 1e-3));
    center[i] = c;
    spread[i] = s;
    for (let j = 0; j < L; j++) {
      const u = (windows[b + j] - c) / s;
      out[b + j] = u > CLIP ? CLIP : u < -CLIP ? -CLIP : u;
    }
  }
}

/** Mean of the last three values: the fallback when no neural model is available. */
export class NaiveForecaster implements Forecaster {
  readonly name = 'naive-mean3';
  readonly backend = 'js';
  readonly featureDim = 0;
  constructor(readonly windowLength = 3) {}

  forecast(windows: Float32Array, count: number): ForecastBatch {
    const L = this.windowLength;
    const expected = new Float64Array(count);
    const center = new Float64Array(count);
    const spread = new Float64Array(count).fill(1);
    for (let i = 0; i < count; i++) {
      const b = i * L;
      expected[i] = (windows[b + L - 1] + windows[b + L - 2] + windows[b + L - 3]) / 3;
      center[i] = expected[i];
    }
    return { expected, center, spread, features: new Float32Array(0) };
  }

  dispose(): void {}
}

/** Shape and weights of the shared base network (written by scripts/train-base-forecaster.ts). */
export interface BaseWeights {
  version: string;
  windowLength: number;
  hidden: number;
  featureDim: number;
  /** base64 little-endian float32 arrays: W1 [L,H], b1 [H], W2 [H,F], b2 [F], W3 [F,1], b3 [1]. */
  tensors: Record<'W1' | 'b1' | 'W2' | 'b2' | 'W3' | 'b3', string>;
}

export function decodeFloat32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export function encodeFloat32(a: Float32Array): string {
  const buf = Buffer.alloc(a.length * 4);
  a.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}


/**
 * A forecaster predicts the next value of a metric from its last `windowLength` raw values.
 * Implementations work on many windows at once (one row per metric of each sample in a
 * batch), so the neural one runs a single forward pass per `scoreBatch` call.
 */
export interface Forecaster {
  readonly name: string;
  readonly windowLength: number;
  /** Backend that runs it ('js' for the plain-JavaScript ones). */
  readonly backend: string;
  /** windows: count × windowLength raw values, oldest first. Returns count forecasts. */
  forecast(windows: Float32Array, count: number): Float64Array;
  dispose(): void;
}

/** Mean of the last three values: the fallback when no neural model is loaded. */
export class NaiveForecaster implements Forecaster {
  readonly name = 'naive-mean3';
  readonly backend = 'js';
  constructor(readonly windowLength = 3) {}

  forecast(windows: Float32Array, count: number): Float64Array {
    const L = this.windowLength;
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const b = i * L;
      out[i] = (windows[b + L - 1] + windows[b + L - 2] + windows[b + L - 3]) / 3;
    }
    return out;
  }

  dispose(): void {}
}

import { errorMessage, InvalidArgumentError, NotFoundError } from '@x0/core';
import { selectBackend } from './backend';
import * as componentModel from './component-model';
import { ComponentModel, type BatchRows, type ComponentSettings } from './component-model';
import * as metricModel from './metric-model';
import type { MetricState } from './metric-model';
import { NaiveForecaster, type BaseWeights, type ForecastBatch, type Forecaster } from './forecaster';
import { DenseForecaster, NeuralForecaster } from './neural-forecaster';
import { RING_LENGTH } from './ring';
import { checkThresholds } from './severity';
import { ZERO_SIGNATURE } from './signature';
import { decodeComponent, encodeComponent, crc32 } from './state-codec';
import {
  DEFAULT_DETECTOR_OPTIONS,
  type ComponentSample,
  type ComponentStatusInfo,
  type Detection,
  type DetectorInfo,
  type DetectorOptions,
} from './types';
import * as validate from './validate';

// Module-local copies of what the per-sample code uses (see metric-model.ts: in CommonJS output
// every use of an imported binding is a getter call).
const { C } = componentModel;
const { S } = metricModel;
const { validateSampleHeader, validateMetricValue } = validate;
const RING = RING_LENGTH;
/** Rows (metric values) per forward pass of the forecaster: see `scoreBatch`. */
const CHUNK_ROWS = 256;

/** A streaming, causal anomaly detector over many components. */
export interface AnomalyDetector {
  readonly info: DetectorInfo;
  /**
   * Valid samples learnt from (all components): scored since creation, plus what restored
   * states had seen, so a restarted monitor does not look as if it relearnt.
   */
  readonly samplesSeen: number;
  /**
   * Scores samples in order (each one only against the past of its component) and learns
   * from them. Synchronous; bad samples are not thrown but answered with `rejected` set
   * and score 0 (check them first with `validateSample` to dead-letter them).
   */
  scoreBatch(samples: readonly ComponentSample[]): Detection[];
  status(component: string): ComponentStatusInfo | undefined;
  /**
   * The signature of a component's latest sample, also when its severity was 'none' (the
   * detection then carries the all-zero one): for a caller that announces an incident on a
   * sample the detector itself did not flag. `metric` chooses whose recent window makes the
   * shape half (default: the component's first metric). Undefined for an unknown component.
   */
  windowSignature(component: string, metric?: string): Float32Array | undefined;
  components(): string[];
  /** State of one component as bytes (< 50 KB). Throws NotFoundError for an unknown component. */
  snapshot(component: string): Uint8Array;
  /** Replaces a component's state. Throws InvalidArgumentError on corrupt or incompatible bytes. */
  restore(component: string, state: Uint8Array): void;
  /** Forgets a component (e.g. retired); true when it existed. */
  remove(component: string): boolean;
  /**
   * Replaces the shared forecaster's weights (e.g. a version promoted in the model registry)
   * between two `scoreBatch` calls; per-component state stays (same window length and feature
   * width, so snapshots stay compatible) and `info.modelVersion` names the new weights.
   * Throws InvalidArgumentError for the naive forecaster or weights of another shape.
   */
  setForecasterWeights(weights: BaseWeights): void;
  /**
   * Gives one component its own forecaster weights — the shared base with the component's LoRA
   * adapter merged in — used for that component's rows from the next `scoreBatch` on
   * (`DenseForecaster`); `undefined` returns it to the shared model. The weights must have the
   * shared model's window length and feature width (the per-metric adapters read the features);
   * they are not part of the component's snapshot: whoever serves the adapters sets them again
   * after a restart. Throws InvalidArgumentError for the naive forecaster, another shape or
   * invalid weights.
   */
  setComponentForecaster(component: string, weights: BaseWeights | undefined): void;
  /** Components that have their own forecaster, with the version of its weights. */
  componentForecasters(): ReadonlyMap<string, string>;
  /** Frees the neural model's tensors. Safe to call twice. */
  dispose(): void;
}

/**
 * Creates a detector: picks the TensorFlow.js backend (tensorflow → wasm → cpu), loads the
 * forecaster and validates options. Throws InvalidArgumentError on a bad option.
 */
export async function createAnomalyDetector(options: Partial<DetectorOptions> = {}): Promise<AnomalyDetector> {
  const opts = resolveOptions(options);
  const backend = await selectBackend(opts.backend);
  const forecaster: Forecaster = opts.forecaster === 'naive' ? new NaiveForecaster() : new NeuralForecaster(backend);
  return new StreamingAnomalyDetector(opts, backend, forecaster);
}

/** Merges options over the defaults and validates them. */
export function resolveOptions(options: Partial<DetectorOptions>): DetectorOptions {
  const o: DetectorOptions = { ...DEFAULT_DETECTOR_OPTIONS, ...options, thresholds: { ...DEFAULT_DETECTOR_OPTIONS.thresholds, ...options.thresholds } };
  const int = (k: keyof DetectorOptions, min: number) => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidArgumentError(`options.${k}`, `must be an integer >= ${min}, got ${String(v)}`);
  };
  int('warmupSamples', 1);
  int('baselineHorizon', 10);
  int('refractorySamples', 0);
  int('maxMetrics', 1);
  if (!(o.gapFactor > 1)) throw new InvalidArgumentError('options.gapFactor', `must be > 1, got ${o.gapFactor}`);
  if (!['neural', 'naive'].includes(o.forecaster)) throw new InvalidArgumentError('options.forecaster', `must be neural|naive, got ${o.forecaster}`);
  if (typeof o.jumpCounts !== 'boolean') throw new InvalidArgumentError('options.jumpCounts', `must be true or false, got ${String(o.jumpCounts)}`);
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(o.backend)) throw new InvalidArgumentError('options.backend', `must be auto|tensorflow|wasm|cpu, got ${o.backend}`);
  const why = checkThresholds(o.thresholds);
  if (why) throw new InvalidArgumentError('options.thresholds', why);
  return o;
}

class StreamingAnomalyDetector implements AnomalyDetector {
  readonly info: DetectorInfo;
  private readonly comps = new Map<string, ComponentModel>();
  /** Components with their own forecaster (also those not seen yet, or after a restore). */
  private readonly own = new Map<string, DenseForecaster>();
  private readonly cfg: ComponentSettings;
  private readonly modelTag: number;
  private seen = 0;
  private disposed = false;
  private batchStamp = 0;
  /** Reused between batches: the forecaster's input windows and the batch's rows. */
  private windows = new Float32Array(0);
  private readonly rows: BatchRows = { metric: new Int32Array(0), name: [], value: new Float64Array(0) };

  constructor(
    opts: DetectorOptions,
    backend: string,
    private forecaster: Forecaster,
  ) {
    this.cfg = {
      warmup: opts.warmupSamples,
      horizon: Math.max(opts.baselineHorizon, opts.warmupSamples),
      gapFactor: opts.gapFactor,
      maxMetrics: opts.maxMetrics,
      refractory: opts.refractorySamples,
      featureDim: forecaster.featureDim,
      thresholds: opts.thresholds,
      jumpCounts: opts.jumpCounts,
    };
    const modelVersion = `stat-v1+${forecaster.name}`;
    this.modelTag = crc32(Buffer.from(modelVersion, 'utf8'));
    this.info = {
      detector: 'x0-ensemble',
      modelVersion,
      backend: forecaster.backend === 'js' ? backend : forecaster.backend,
      warmupSamples: opts.warmupSamples,
      thresholds: { ...opts.thresholds },
    };
  }

  get samplesSeen(): number {
    return this.seen;
  }

  scoreBatch(samples: readonly ComponentSample[]): Detection[] {
    if (this.disposed) throw new InvalidArgumentError('', 'detector is disposed');
    const n = samples.length;
    const out: Detection[] = new Array(n);
    // Chunks of about CHUNK_ROWS rows: a chunk's components are still in the CPU caches when
    // they are scored after the forecaster ran (one forward pass per chunk).
    for (let i = 0; i < n; ) {
      let rows = 0;
      let j = i;
      while (j < n) {
        const s = samples[j];
        const size = s && s.values instanceof Map ? s.values.size : 0;
        if (rows > 0 && rows + size > CHUNK_ROWS) break;
        rows += size;
        j++;
      }
      this.scoreChunk(samples, i, j, rows, out);
      i = j;
    }
    return out;
  }

  /** Scores samples[from .. to) (`rows` metric values in all) into `out`. */
  private scoreChunk(samples: readonly ComponentSample[], from: number, to: number, rows: number, out: Detection[]): void {
    const L = this.forecaster.windowLength;
    const n = to - from;
    const stamp = ++this.batchStamp;
    const rejected: Array<string | undefined> = new Array(n);
    const owners: Array<ComponentModel | undefined> = new Array(n);
    if (this.windows.length < rows * L) this.windows = new Float32Array(Math.max(rows * L, 2 * this.windows.length));
    const batchRows = this.rows;
    if (batchRows.metric.length < rows) {
      const size = Math.max(rows, 2 * batchRows.metric.length);
      batchRows.metric = new Int32Array(size);
      batchRows.value = new Float64Array(size);
    }
    const windows = this.windows;
    const rowMetric = batchRows.metric;
    const rowName = batchRows.name;
    const rowValue = batchRows.value;
    const offsets = new Int32Array(n + 1);
    /** Metrics not scored per sample (the component is at maxMetrics); rarely set. */
    let ignored: Map<number, string[]> | undefined;
    let row = 0;
    // Pass 1: validate, find (or create) each sample's component and metrics, and build the
    // forecaster's input windows. A component seen twice in one chunk keeps the values of its
    // earlier samples (`pending`): the windows of its later samples need them.
    for (let i = 0; i < n; i++) {
      const sample = samples[from + i];
      offsets[i] = row;
      // validation (as validateSample) while the values are copied into the rows: one walk of the Map
      let why = validateSampleHeader(sample);
      let end = row;
      if (!why) {
        for (const [metric, value] of sample.values) {
          why = validateMetricValue(metric, value);
          if (why) break;
          rowName[end] = metric;
          rowValue[end++] = value;
        }
      }
      let comp: ComponentModel | undefined;
      if (!why) {
        comp = this.comps.get(sample.component);
        const again = comp !== undefined && comp.batch.stamp === stamp;
        const prev = comp === undefined ? Number.NEGATIVE_INFINITY : again ? comp.batch.lastT : comp.c[C.LAST_T];
        if (sample.timeMs < prev) why = `'timeMs' ${sample.timeMs} is before the component's last sample (${prev})`;
      }
      if (why) {
        rejected[i] = why;
        continue;
      }
      if (!comp) {
        this.comps.set(sample.component, (comp = new ComponentModel(sample.component, this.cfg)));
        if (this.own.size > 0) comp.forecaster = this.own.get(sample.component);
      }
      owners[i] = comp;
      const b = comp.batch;
      let pending: Array<number[] | undefined> | undefined;
      if (b.stamp !== stamp) {
        b.stamp = stamp;
        b.first = sample;
        b.pending = undefined;
      } else {
        if (!b.pending) {
          b.pending = [];
          for (const [m, v] of b.first!.values) {
            const k = comp.metricIndex(m, false);
            if (k >= 0) b.pending[k] = [Math.fround(v)];
          }
        }
        pending = b.pending;
      }
      b.lastT = sample.timeMs;
      for (let k = 0; row < end; k++, row++) {
        const value = rowValue[row];
        const idx = comp.metricIndex(rowName[row], true, k);
        rowMetric[row] = idx;
        if (idx < 0) {
          ignored ??= new Map();
          let names = ignored.get(i);
          if (!names) ignored.set(i, (names = []));
          names.push(rowName[row]);
        }
        let p: number[] | undefined;
        if (pending && idx >= 0) p = pending[idx] ??= [];
        const st = idx >= 0 ? comp.metrics[idx] : undefined;
        buildWindow(st, p, L, windows, row * L, value);
        if (p) p.push(Math.fround(value));
      }
    }
    offsets[n] = row;
    const fc: ForecastBatch =
      row > 0 ? this.forecaster.forecast(windows, row) : { expected: new Float64Array(0), center: new Float64Array(0), spread: new Float64Array(0), features: new Float32Array(0) };
    // Components with their own forecaster (a LoRA adapter merged into the base): their rows again, with their weights.
    if (this.own.size > 0) {
      for (let i = 0; i < n; i++) {
        const own = owners[i]?.forecaster;
        if (!own) continue;
        for (let r = offsets[i]; r < offsets[i + 1]; r++) if (rowMetric[r] >= 0) own.forecastRow(windows, r, fc);
      }
    }
    // Pass 2: score and learn, in order.
    for (let i = 0; i < n; i++) {
      const why = rejected[i];
      if (why) {
        out[from + i] = this.rejection(samples[from + i], why);
        continue;
      }
      this.seen++;
      const d = owners[i]!.score(samples[from + i], fc, offsets[i], offsets[i + 1] - offsets[i], batchRows);
      const names = ignored?.get(i);
      if (names) d.ignoredMetrics = names;
      out[from + i] = d;
    }
  }

  private rejection(sample: ComponentSample, why: string): Detection {
    const comp = sample && typeof sample.component === 'string' ? this.comps.get(sample.component) : undefined;
    return {
      component: sample && typeof sample.component === 'string' ? sample.component : '',
      timeMs: sample && typeof sample.timeMs === 'number' ? sample.timeMs : Number.NaN,
      score: 0,
      severity: 'none',
      phase: comp ? comp.phase : 'learning',
      metrics: [],
      signature: ZERO_SIGNATURE,
      rejected: why,
    };
  }

  status(component: string): ComponentStatusInfo | undefined {
    return this.comps.get(component)?.status();
  }

  windowSignature(component: string, metric?: string): Float32Array | undefined {
    return this.comps.get(component)?.windowSignature(metric);
  }

  components(): string[] {
    return [...this.comps.keys()].sort();
  }

  snapshot(component: string): Uint8Array {
    const comp = this.comps.get(component);
    if (!comp) throw new NotFoundError('component', component);
    return encodeComponent(comp, this.modelTag);
  }

  restore(component: string, state: Uint8Array): void {
    if (typeof component !== 'string' || component.trim() === '') throw new InvalidArgumentError('component', 'must be a non-empty string');
    const next = decodeComponent(state, component, this.cfg, this.modelTag);
    next.forecaster = this.own.get(component);
    this.seen += next.c[C.N] - (this.comps.get(component)?.c[C.N] ?? 0);
    this.comps.set(component, next);
  }

  remove(component: string): boolean {
    return this.comps.delete(component);
  }

  /** The neural forecaster serving, which `weights` must fit (window length, feature width); throws InvalidArgumentError. */
  private neuralForecaster(weights: BaseWeights): NeuralForecaster {
    const cur = this.forecaster;
    if (!(cur instanceof NeuralForecaster)) throw new InvalidArgumentError('weights', 'cannot be set: the detector runs the naive forecaster');
    if (weights.windowLength !== cur.windowLength || weights.featureDim !== cur.featureDim) {
      throw new InvalidArgumentError('weights', `must have window ${cur.windowLength} and ${cur.featureDim} features, got ${weights.windowLength} and ${weights.featureDim}`);
    }
    return cur;
  }

  setForecasterWeights(weights: BaseWeights): void {
    if (this.disposed) throw new InvalidArgumentError('', 'detector is disposed');
    const cur = this.neuralForecaster(weights);
    let next: NeuralForecaster;
    try {
      next = new NeuralForecaster(cur.backend, weights);
    } catch (err) {
      throw new InvalidArgumentError('weights', `are not a valid forecaster: ${errorMessage(err)}`, { cause: err });
    }
    this.forecaster = next;
    cur.dispose();
    this.info.modelVersion = `stat-v1+${next.name}`;
  }

  setComponentForecaster(component: string, weights: BaseWeights | undefined): void {
    if (this.disposed) throw new InvalidArgumentError('', 'detector is disposed');
    if (typeof component !== 'string' || component.trim() === '') throw new InvalidArgumentError('component', 'must be a non-empty string');
    if (weights === undefined) {
      this.own.delete(component);
      const comp = this.comps.get(component);
      if (comp) comp.forecaster = undefined;
      return;
    }
    this.neuralForecaster(weights);
    let own: DenseForecaster;
    try {
      own = new DenseForecaster(weights);
    } catch (err) {
      throw new InvalidArgumentError('weights', `are not a valid forecaster: ${errorMessage(err)}`, { cause: err });
    }
    this.own.set(component, own);
    const comp = this.comps.get(component);
    if (comp) comp.forecaster = own;
  }

  componentForecasters(): ReadonlyMap<string, string> {
    return new Map([...this.own].map(([component, f]) => [component, f.version]));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.forecaster.dispose();
  }
}

/**
 * The forecaster's input for the next value: the last L values of the metric's history,
 * i.e. its ring followed by the values seen earlier in this batch, padded at the front
 * with the oldest value (or the value itself when there is no history at all).
 */
function buildWindow(st: MetricState | undefined, pending: number[] | undefined, L: number, out: Float32Array, at: number, value: number): void {
  const p = pending ? pending.length : 0;
  if (p >= L) {
    for (let i = 0; i < L; i++) out[at + i] = pending![p - L + i];
    return;
  }
  const fill = st ? st.s[S.RING_FILL] : 0;
  const fromRing = Math.min(fill, L - p);
  const pad = L - fromRing - p;
  let o = at + pad;
  if (fromRing > 0) {
    const ring = st!.ring;
    // oldest wanted value first; the ring wraps at RING_LENGTH
    let k = st!.s[S.RING_POS] - fromRing;
    if (k < 0) k += RING;
    for (let i = 0; i < fromRing; i++) {
      out[o++] = ring[k];
      if (++k === RING) k = 0;
    }
  }
  for (let i = 0; i < p; i++) out[o++] = pending![i];
  const padValue = pad === 0 ? 0 : fromRing > 0 ? out[at + pad] : p > 0 ? pending![0] : Math.fround(value);
  for (let i = 0; i < pad; i++) out[at + i] = padValue;
}

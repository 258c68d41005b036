/**
 * LoRA benchmark.
 *
 *   npx tsx tools/bench/lora.bench.ts
 *
 * Reference model (the headline figures): a reconstruction autoencoder over a window of 64
 * normalised samples, Dense 64→128 (relu) → 64 (relu) → 64 (linear), 20,736 parameters — a
 * per-component window model 15× the size of the two models x0 adapts today (below), so its
 * fine-tune time bounds theirs from above. Data: one component's baseline, 512 windows of a
 * synthetic daily-like sine + noise. Backend: wasm (cpu fallback).
 *
 * - lora.finetune_epoch_ms: median wall time of one epoch of `fineTune` (@x0/lora: one Adam
 *   step per batch over the adapter variables only) over the 512 windows, default batch 256
 *   (two steps, as x0's adapters train), rank 8 on every Dense layer; 10 epochs after 2 warm-up
 *   (and after 8 epochs of another adapter, so the JIT is warm).
 * - lora.finetune_epoch_cpu_ms: the same epochs' median CPU time of this process (user +
 *   system): what the epoch costs when the machine is shared and wall time is inflated.
 * - lora.finetune_epoch_batch512_ms / _cpu_ms: `fineTune` with batch 512 (one step per epoch).
 * - lora.finetune_to_quality_cpu_ms / _epochs (and _batch512_): CPU time and epochs of
 *   `fineTune` (Adam 0.005, from a fresh adapter) until an epoch's loss is at most 0.08, twice
 *   the noise variance of the windows (0.2²): what a cheaper epoch buys in time to a useful adapter.
 * - lora.finetune_epoch_fit_ms / _cpu_ms: tfjs-layers `model.fit`, batch 256, shuffled (the
 *   seed figure's configuration; fit runs the same LoRADense layers).
 * - lora.full_finetune_epoch_cpu_ms: for comparison, `fineTune` of every weight of the base
 *   (no adapter), batch 512.
 * - lora.reference_adapter_bytes, lora.reference_trainable_fraction: serialised adapter (weights +
 *   JSON config) and adapter parameters / base parameters, rank 8 on every Dense layer of the
 *   reference model (applyLoRA's default; until November 2026 these were the headline
 *   `lora.adapter_bytes` and `lora.trainable_fraction`).
 * - lora.adapter_bytes_output_layer, lora.trainable_fraction_output_layer: rank 8 on the output
 *   layer only (`layers: [2]`).
 * - lora.trainable_fraction_low_rank: rank 8 with `layers: 'low-rank'` (layers where the adapter
 *   is at most half the kernel: here all three, so it equals the all-layers figure).
 * - lora.merged_vs_base_latency_ratio: median latency of `predict` on one batch of 64
 *   windows, merged model / base model (200 interleaved runs each).
 * - lora.unmerged_vs_base_latency_ratio: the same for the LoRA model before merging.
 *
 * Headline figures of the adapters x0 trains per component (the names):
 * - lora.adapter_bytes: the detector's forecaster at rank 8 on every layer (the library's
 *   default rank and layers, on x0's per-component model; what it serves is smaller, below);
 * - lora.trainable_fraction: the larger of the two production adapters' fractions
 *   (lora.detector_trainable_fraction, lora.action_params_trainable_fraction).
 *
 * The two adapters x0 trains (docs/lora.md), on their real architectures, both with `fineTune`:
 * - lora.detector_*: the monitor's forecaster (24 → 32 relu → 16 tanh → 1, 1,345 parameters)
 *   with the adapter the trainer fits per component (DETECTOR_ADAPTER of @x0/trainer-service:
 *   rank 1 on the hidden 32 → 16 layer), one epoch over a component's baseline (750 windows,
 *   batch 256: three steps); `_rank4_all` figures: rank 4 on every layer (what the trainer used
 *   before, and the first configuration of tools/eval/lora-detector.ts); `_low_rank` fraction:
 *   rank 4 on the layers where it is low-rank (the first two).
 * - lora.action_params_*: execute's action-parameter model (5 → 64 → 64 → 1, 4,609
 *   parameters) with the adapter fineTuneAdapter trains (ACTION_PARAMS_ADAPTER of
 *   @x0/action-params: rank 1 on the second hidden layer and the output), one epoch over 60
 *   outcomes with their implied rows, batch 256, binary cross-entropy (production weighs the
 *   implied rows: the same ops and a per-row weight); `_rank4_all`: rank 4 on every layer, the
 *   configuration before November 2026 (on this base).
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { quantileSorted } from '@x0/core';
import { ACTION_PARAMS_ADAPTER, createBaseModel, simulateTrajectories, trainingRows } from '@x0/action-params';
import { applyLoRA, countParams, extractAdapter, fineTune, mergeAdapter, selectBackend, type FineTuneOptions } from '@x0/lora';
import { DETECTOR_ADAPTER } from '@x0/trainer-service';
import { runWhenMain } from './figure';

export interface BenchResult {
  bench: string;
  value: number;
  unit: string;
}

const WINDOW = 64;
const WINDOWS = 512;

function baseModel(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [WINDOW], units: 128, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: WINDOW, kernelInitializer: init(3) }),
    ],
  });
}

/** Windows of a sine with period 48 samples plus noise, standardised: one component's baseline. */
function baselineWindows(): tf.Tensor2D {
  return tf.tidy(() => {
    const start = tf.randomUniform([WINDOWS, 1], 0, 48, 'float32', 7);
    const t = tf.add(start, tf.range(0, WINDOW).reshape([1, WINDOW]));
    const signal = tf.sin(tf.mul(t, (2 * Math.PI) / 48)).mul(1.5);
    return tf.add(signal, tf.randomNormal([WINDOWS, WINDOW], 0, 0.2, 'float32', 8)) as tf.Tensor2D;
  });
}

function serialisedBytes(model: tf.LayersModel): number {
  const adapter = extractAdapter(model);
  try {
    const a = adapter.toArtifacts();
    return tf.io.CompositeArrayBuffer.join(a.weightData!).byteLength + new TextEncoder().encode(JSON.stringify(a.modelTopology)).byteLength;
  } finally {
    adapter.dispose();
  }
}

interface EpochTimes {
  wall: number;
  cpu: number;
}

/** Median wall and CPU time of epochs 3..12 of `train(onEpochBegin, onEpochEnd)`. */
async function timeEpochs(train: (begin: () => void, end: () => void) => Promise<void>): Promise<EpochTimes> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let t0 = 0;
  let c0 = process.cpuUsage();
  const begin = () => {
    c0 = process.cpuUsage();
    t0 = performance.now();
  };
  const end = () => {
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  };
  await train(begin, end);
  return { wall: median(wall.slice(2)), cpu: median(cpu.slice(2)) };
}

/** Epoch times of `fineTune` (one Adam optimiser across the 12 epochs). */
function fineTuneEpochs(model: tf.LayersModel, x: tf.Tensor2D, y: tf.Tensor2D, options: FineTuneOptions = {}): Promise<EpochTimes> {
  return timeEpochs(async (begin, end) => {
    const optimizer = tf.train.adam(0.005);
    begin();
    await fineTune(model, x, y, {
      ...options,
      epochs: 12,
      optimizer,
      onEpochEnd: () => {
        end();
        begin();
      },
    });
    optimizer.dispose();
  });
}

/** Loss at which the reference adapter counts as trained: twice the windows' noise variance (0.2²). */
const QUALITY_LOSS = 2 * 0.2 ** 2;

/**
 * CPU time and epochs of `fineTune` from a fresh rank-8 adapter until an epoch's mean loss is at
 * most QUALITY_LOSS (Infinity after 300 epochs). One warm-up epoch on another adapter first.
 */
async function toQuality(base: tf.Sequential, x: tf.Tensor2D, batchSize: number): Promise<{ cpu: number; epochs: number }> {
  const warm = applyLoRA(base, { rank: 8, alpha: 16, seed: 2 });
  await fineTune(warm, x, x, { batchSize });
  warm.dispose();
  const model = applyLoRA(base, { rank: 8, alpha: 16, seed: 1 });
  const c0 = process.cpuUsage();
  let epochs = Infinity;
  let cpu = Infinity;
  const optimizer = tf.train.adam(0.005);
  const stop = new AbortController();
  await fineTune(model, x, x, {
    epochs: 300,
    batchSize,
    optimizer,
    signal: stop.signal,
    onEpochEnd: (epoch, loss) => {
      if (loss > QUALITY_LOSS) return;
      const c = process.cpuUsage(c0);
      cpu = (c.user + c.system) / 1000;
      epochs = epoch + 1;
      stop.abort();
    },
  });
  optimizer.dispose();
  model.dispose();
  return { cpu, epochs };
}

/** Epoch times of tfjs-layers `fit` (batch 256, shuffled). */
function fitEpochs(model: tf.LayersModel, x: tf.Tensor2D, y: tf.Tensor2D): Promise<EpochTimes> {
  return timeEpochs(async (begin, end) => {
    model.compile({ optimizer: tf.train.adam(0.005), loss: 'meanSquaredError' });
    await model.fit(x, y, {
      epochs: 12,
      batchSize: 256,
      shuffle: true,
      verbose: 0,
      callbacks: { onEpochBegin: async () => begin(), onEpochEnd: async () => end() },
    });
  });
}

function latencyRatios(base: tf.LayersModel, others: tf.LayersModel[], x: tf.Tensor): number[] {
  const all = [base, ...others];
  const samples = all.map(() => [] as number[]);
  for (let i = 0; i < 220; i++) {
    all.forEach((m, k) => {
      const t0 = performance.now();
      const y = m.predict(x) as tf.Tensor;
      y.dataSync();
      const ms = performance.now() - t0;
      y.dispose();
      if (i >= 20) samples[k].push(ms);
    });
  }
  const baseMs = median(samples[0]);
  return samples.slice(1).map((s) => median(s) / baseMs);
}

function median(xs: number[]): number {
  return quantileSorted([...xs].sort((a, b) => a - b), 0.5);
}

export async function run(): Promise<BenchResult[]> {
  const backend = await selectBackend();
  process.stderr.write(`lora bench: backend ${backend}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  const base = baseModel();
  const x = baselineWindows();
  const lora = applyLoRA(base, { rank: 8, alpha: 16, seed: 1 });
  const outputOnly = applyLoRA(base, { rank: 8, alpha: 16, layers: [2] });
  const lowRank = applyLoRA(base, { rank: 8, alpha: 16, layers: 'low-rank' });
  // Warm the JIT on the training path first (a service that trains adapters runs it warm):
  // without this, the first figure measured comes out ~25 % high.
  const warm = applyLoRA(base, { rank: 8, alpha: 16, seed: 3 });
  await fineTune(warm, x, x, { epochs: 8 });
  warm.dispose();
  const epoch = await fineTuneEpochs(lora, x, x);
  const [lora512, loraFit, full] = [applyLoRA(base, { rank: 8, alpha: 16, seed: 1 }), applyLoRA(base, { rank: 8, alpha: 16, seed: 1 }), baseModel()];
  const epoch512 = await fineTuneEpochs(lora512, x, x, { batchSize: 512 });
  const quality = await toQuality(base, x, 256);
  const quality512 = await toQuality(base, x, 512);
  const epochFit = await fitEpochs(loraFit, x, x);
  const epochFull = await fineTuneEpochs(full, x, x);
  [lora512, loraFit, full].forEach((m) => m.dispose());
  const merged = mergeAdapter(lora);
  const batch = x.slice([0, 0], [64, WINDOW]);
  const [mergedRatio, unmergedRatio] = latencyRatios(base, [merged, lora], batch);
  const r = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
  const results: BenchResult[] = [
    { bench: 'lora.finetune_epoch_ms', value: r(epoch.wall, 2), unit: 'ms' },
    { bench: 'lora.finetune_epoch_cpu_ms', value: r(epoch.cpu, 2), unit: 'ms' },
    { bench: 'lora.finetune_epoch_batch512_ms', value: r(epoch512.wall, 2), unit: 'ms' },
    { bench: 'lora.finetune_epoch_batch512_cpu_ms', value: r(epoch512.cpu, 2), unit: 'ms' },
    { bench: 'lora.finetune_to_quality_cpu_ms', value: r(quality.cpu, 1), unit: 'ms' },
    { bench: 'lora.finetune_to_quality_epochs', value: quality.epochs, unit: 'epochs' },
    { bench: 'lora.finetune_to_quality_batch512_cpu_ms', value: r(quality512.cpu, 1), unit: 'ms' },
    { bench: 'lora.finetune_to_quality_batch512_epochs', value: quality512.epochs, unit: 'epochs' },
    { bench: 'lora.finetune_epoch_fit_ms', value: r(epochFit.wall, 2), unit: 'ms' },
    { bench: 'lora.finetune_epoch_fit_cpu_ms', value: r(epochFit.cpu, 2), unit: 'ms' },
    { bench: 'lora.full_finetune_epoch_cpu_ms', value: r(epochFull.cpu, 2), unit: 'ms' },
    { bench: 'lora.reference_adapter_bytes', value: serialisedBytes(lora), unit: 'bytes' },
    { bench: 'lora.reference_trainable_fraction', value: r(countParams(lora).trainableFraction, 4), unit: 'ratio' },
    { bench: 'lora.adapter_bytes_output_layer', value: serialisedBytes(outputOnly), unit: 'bytes' },
    { bench: 'lora.trainable_fraction_output_layer', value: r(countParams(outputOnly).trainableFraction, 4), unit: 'ratio' },
    { bench: 'lora.trainable_fraction_low_rank', value: r(countParams(lowRank).trainableFraction, 4), unit: 'ratio' },
    { bench: 'lora.merged_vs_base_latency_ratio', value: r(mergedRatio), unit: 'ratio' },
    { bench: 'lora.unmerged_vs_base_latency_ratio', value: r(unmergedRatio), unit: 'ratio' },
  ];
  tf.dispose([x, batch]);
  [base, lora, outputOnly, lowRank, merged].forEach((m) => m.dispose());
  results.push(...(await x0Adapters()));
  return results;
}

/** The detector's forecaster and execute's action-parameter model with the adapters x0 trains for them. */
async function x0Adapters(): Promise<BenchResult[]> {
  const r = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const forecaster = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [24], units: 32, activation: 'relu', kernelInitializer: init(11) }),
      tf.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: init(12) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(13) }),
    ],
  });
  const fx = tf.randomNormal([750, 24], 0, 1, 'float32', 5) as tf.Tensor2D;
  const fy = tf.randomNormal([750, 1], 0, 1, 'float32', 6) as tf.Tensor2D;
  const fl = applyLoRA(forecaster, { rank: DETECTOR_ADAPTER.rank, alpha: DETECTOR_ADAPTER.alpha, layers: DETECTOR_ADAPTER.layers, seed: 1 });
  const fe = await fineTuneEpochs(fl, fx, fy);
  const fl4 = applyLoRA(forecaster, { rank: 4, alpha: 8, seed: 1 });
  const fl8 = applyLoRA(forecaster, { seed: 1 });
  const flLow = applyLoRA(forecaster, { rank: 4, alpha: 8, layers: 'low-rank' });

  const ap = createBaseModel(1);
  const rows = trainingRows(simulateTrajectories([{ name: 'c', needs: { scale_up: 5, throttle: 40 } }], 60, 1));
  const ax = tf.tensor2d(rows.x);
  const ay = tf.tensor2d(rows.y, [rows.y.length, 1]);
  const al = applyLoRA(ap, { ...ACTION_PARAMS_ADAPTER, seed: 1 });
  const ae = await fineTuneEpochs(al, ax, ay, { batchSize: 256, loss: 'binaryCrossentropy' });
  const al4 = applyLoRA(ap, { rank: 4, alpha: 8, seed: 1 });
  const detectorFraction = countParams(fl).trainableFraction;
  const actionParamsFraction = countParams(al).trainableFraction;
  const fraction = Math.max(detectorFraction, actionParamsFraction);
  const out: BenchResult[] = [
    { bench: 'lora.adapter_bytes', value: serialisedBytes(fl8), unit: 'bytes' },
    { bench: 'lora.trainable_fraction', value: r(fraction, 4), unit: 'ratio' },
    { bench: 'lora.detector_finetune_epoch_ms', value: r(fe.wall, 2), unit: 'ms' },
    { bench: 'lora.detector_finetune_epoch_cpu_ms', value: r(fe.cpu, 2), unit: 'ms' },
    { bench: 'lora.detector_adapter_bytes', value: serialisedBytes(fl), unit: 'bytes' },
    { bench: 'lora.detector_trainable_fraction', value: r(detectorFraction, 4), unit: 'ratio' },
    { bench: 'lora.detector_adapter_bytes_rank4_all', value: serialisedBytes(fl4), unit: 'bytes' },
    { bench: 'lora.detector_trainable_fraction_rank4_all', value: r(countParams(fl4).trainableFraction, 4), unit: 'ratio' },
    { bench: 'lora.detector_trainable_fraction_low_rank', value: r(countParams(flLow).trainableFraction, 4), unit: 'ratio' },
    { bench: 'lora.action_params_finetune_epoch_ms', value: r(ae.wall, 2), unit: 'ms' },
    { bench: 'lora.action_params_finetune_epoch_cpu_ms', value: r(ae.cpu, 2), unit: 'ms' },
    { bench: 'lora.action_params_adapter_bytes', value: serialisedBytes(al), unit: 'bytes' },
    { bench: 'lora.action_params_trainable_fraction', value: r(actionParamsFraction, 4), unit: 'ratio' },
    { bench: 'lora.action_params_adapter_bytes_rank4_all', value: serialisedBytes(al4), unit: 'bytes' },
    { bench: 'lora.action_params_trainable_fraction_rank4_all', value: r(countParams(al4).trainableFraction, 4), unit: 'ratio' },
  ];
  tf.dispose([fx, fy, ax, ay]);
  [forecaster, fl, fl4, fl8, flLow, ap, al, al4].forEach((m) => m.dispose());
  return out;
}

runWhenMain(module, run);

/**
 * LoRA benchmark on a small detector-like model.
 *
 *   npx tsx tools/bench/lora.bench.ts
 *
 * Base model: a reconstruction autoencoder over a window of 64 normalised samples,
 * Dense 64→128 (relu) → 64 (relu) → 64 (linear): 20,736 parameters. Data: 512 windows of a
 * synthetic component baseline (daily-like sine + noise). Backend: wasm (cpu fallback).
 *
 * - lora.finetune_epoch_ms: median wall time of 10 epochs (after 2 warm-up) of `fit` over
 *   the 512 windows, batch 256, Adam, rank 8 on every Dense layer, adapter only (the base
 *   is frozen).
 * - lora.finetune_epoch_cpu_ms: the same epochs' median CPU time of this process (user +
 *   system): what the epoch costs when the machine is shared and wall time is inflated.
 * - lora.adapter_bytes: bytes the serialised adapter takes (weights + JSON config), rank 8,
 *   every Dense layer (the default of applyLoRA).
 * - lora.trainable_fraction: adapter parameters / base parameters, same configuration.
 * - lora.adapter_bytes_output_layer, lora.trainable_fraction_output_layer: the same with
 *   only the output layer adapted (`layers: [2]`).
 * - lora.merged_vs_base_latency_ratio: median latency of `predict` on one batch of 64
 *   windows, merged model / base model (200 interleaved runs each).
 * - lora.unmerged_vs_base_latency_ratio: the same for the LoRA model before merging.
 *
 * The two adapters x0 trains (docs/trainer.md), on their real architectures:
 * - lora.detector_*: the monitor's forecaster (24 → 32 relu → 16 tanh → 1, 1,345 parameters),
 *   rank 4 on every layer, one epoch over a component's baseline (750 windows, batch 256) —
 *   the configuration of tools/eval/lora-detector.ts.
 * - lora.action_params_*: execute's action-parameter model (5 → 32 → 32 → 1, 1,281
 *   parameters), rank 4 on every layer, one epoch over 60 outcomes with their implied rows.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { quantileSorted } from '@x0/core';
import { createBaseModel, simulateTrajectories, trainingRows } from '@x0/action-params';
import { applyLoRA, countParams, extractAdapter, mergeAdapter, selectBackend } from '@x0/lora';
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

async function epochMs(model: tf.LayersModel, x: tf.Tensor2D, y: tf.Tensor2D = x): Promise<{ wall: number; cpu: number }> {
  model.compile({ optimizer: tf.train.adam(0.005), loss: 'meanSquaredError' });
  const wall: number[] = [];
  const cpu: number[] = [];
  let t0 = 0;
  let c0 = process.cpuUsage();
  await model.fit(x, y, {
    epochs: 12,
    batchSize: 256,
    shuffle: true,
    verbose: 0,
    callbacks: {
      onEpochBegin: async () => {
        c0 = process.cpuUsage();
        t0 = performance.now();
      },
      onEpochEnd: async () => {
        wall.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      },
    },
  });
  return { wall: median(wall.slice(2)), cpu: median(cpu.slice(2)) };
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
  const epoch = await epochMs(lora, x);
  const merged = mergeAdapter(lora);
  const batch = x.slice([0, 0], [64, WINDOW]);
  const [mergedRatio, unmergedRatio] = latencyRatios(base, [merged, lora], batch);
  const r = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
  const results: BenchResult[] = [
    { bench: 'lora.finetune_epoch_ms', value: r(epoch.wall, 2), unit: 'ms' },
    { bench: 'lora.finetune_epoch_cpu_ms', value: r(epoch.cpu, 2), unit: 'ms' },
    { bench: 'lora.adapter_bytes', value: serialisedBytes(lora), unit: 'bytes' },
    { bench: 'lora.trainable_fraction', value: r(countParams(lora).trainableFraction, 4), unit: 'ratio' },
    { bench: 'lora.adapter_bytes_output_layer', value: serialisedBytes(outputOnly), unit: 'bytes' },
    { bench: 'lora.trainable_fraction_output_layer', value: r(countParams(outputOnly).trainableFraction, 4), unit: 'ratio' },
    { bench: 'lora.merged_vs_base_latency_ratio', value: r(mergedRatio), unit: 'ratio' },
    { bench: 'lora.unmerged_vs_base_latency_ratio', value: r(unmergedRatio), unit: 'ratio' },
  ];
  tf.dispose([x, batch]);
  [base, lora, outputOnly, merged].forEach((m) => m.dispose());
  results.push(...(await x0Adapters()));
  return results;
}

/** The detector's forecaster and execute's action-parameter model with their rank-4 adapters. */
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
  const fl = applyLoRA(forecaster, { rank: 4, alpha: 8, seed: 1 });
  const fe = await epochMs(fl, fx, fy);

  const ap = createBaseModel(1);
  const rows = trainingRows(simulateTrajectories([{ name: 'c', needs: { scale_up: 5, throttle: 40 } }], 60, 1));
  const ax = tf.tensor2d(rows.x);
  const ay = tf.tensor2d(rows.y, [rows.y.length, 1]);
  const al = applyLoRA(ap, { rank: 4, alpha: 8, seed: 1 });
  const ae = await epochMs(al, ax, ay);
  const out: BenchResult[] = [
    { bench: 'lora.detector_finetune_epoch_ms', value: r(fe.wall, 2), unit: 'ms' },
    { bench: 'lora.detector_finetune_epoch_cpu_ms', value: r(fe.cpu, 2), unit: 'ms' },
    { bench: 'lora.detector_adapter_bytes', value: serialisedBytes(fl), unit: 'bytes' },
    { bench: 'lora.detector_trainable_fraction', value: r(countParams(fl).trainableFraction, 4), unit: 'ratio' },
    { bench: 'lora.action_params_finetune_epoch_ms', value: r(ae.wall, 2), unit: 'ms' },
    { bench: 'lora.action_params_adapter_bytes', value: serialisedBytes(al), unit: 'bytes' },
    { bench: 'lora.action_params_trainable_fraction', value: r(countParams(al).trainableFraction, 4), unit: 'ratio' },
  ];
  tf.dispose([fx, fy, ax, ay]);
  [forecaster, fl, ap, al].forEach((m) => m.dispose());
  return out;
}

runWhenMain(module, run);

/**
 * LoRA for the detector's forecaster: base only vs base + a per-component LoRA adapter vs a
 * full per-component model, on the NAB dev series and on the demo components.
 *
 *   npx tsx tools/eval/lora-detector.ts [--nab DIR] [--epochs 30] [--rank 4] [--layers 0,1] [--json out.json]
 *
 * --layers: indexes of the Dense layers to adapt (default: every one).
 *
 * Model: the detector's shared forecaster as shipped (@x0/anomaly base-forecaster.weights.json:
 * window 24 → 32 relu → 16 tanh → 1, 1,345 parameters, trained offline on synthetic series),
 * inputs normalised as the detector does (@x0/anomaly normaliseWindows: last value, window
 * spread, clip ±8).
 * Per component (one NAB file, or one metric of a demo component):
 * - baseline = the first 15 % of the rows (NAB's probation; 200 to 750 rows): the data each
 *   variant may learn from; evaluation = every later row.
 * - variants: `base` (frozen), `lora` (rank r on every Dense layer, Adam 0.005, E epochs on the
 *   baseline windows), `full` (every weight fine-tuned from the base, same schedule),
 *   `scratch` (same architecture, random init, trained on the baseline only), and `gated`:
 *   the adapter is trained on the first 80 % of the baseline and kept only when it beats the
 *   base by 2 % on the last 20 % (the trainer's shadow rule at component scale), else base.
 * - quality: Huber loss of the next-value forecast (normalised units) on evaluation rows outside
 *   the labelled anomaly windows (lower is better), and for files with labelled windows the
 *   ROC AUC of |forecast error| for "row inside an anomaly window" (higher is better).
 * - cost: trainable parameters, bytes stored per component (adapter artifacts vs whole
 *   model weights + topology), fine-tune time (wall, this machine, wasm backend).
 * Reads only /work/shared/data/nab-dev (and generates the demo data); downloads nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { healthyValues, KIND_METRICS, rng } from '@x0/demo';
import { applyLoRA, countParams, extractAdapter, selectBackend } from '@x0/lora';
import { BASE_WEIGHTS, CLIP, normaliseWindows } from '@x0/anomaly';
import { forecasterModel } from '@x0/model-serving';

const args = process.argv.slice(2);
const arg = (k: string, d: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const NAB = arg('--nab', '/work/shared/data/nab-dev');
const EPOCHS = Number(arg('--epochs', '30'));
const RANK = Number(arg('--rank', '4'));
const LAYERS = arg('--layers', '') ? arg('--layers', '').split(',').map(Number) : undefined;
if (LAYERS?.some((i) => !Number.isInteger(i) || i < 0)) throw new Error(`--layers must be Dense layer indexes (0, 1, 2), got ${arg('--layers', '')}`);
const L = 24;

interface Series {
  name: string;
  group: 'nab' | 'demo';
  values: number[];
  /** true where the row is inside a labelled anomaly window */
  anomalous: boolean[];
}

interface Examples {
  x: Float32Array;
  y: Float32Array;
  n: number;
  anomalous: boolean[];
}

function examples(s: Series, from: number, to: number): Examples {
  const rows: number[] = [];
  for (let t = Math.max(L, from); t < to; t++) rows.push(t);
  const n = rows.length;
  const windows = new Float32Array(n * L);
  rows.forEach((t, i) => windows.set(s.values.slice(t - L, t), i * L));
  const x = new Float32Array(n * L);
  const center = new Float64Array(n);
  const spread = new Float64Array(n);
  normaliseWindows(windows, n, L, x, center, spread);
  const y = Float32Array.from(rows.map((t, i) => Math.max(-CLIP, Math.min(CLIP, (s.values[t] - center[i]) / spread[i]))));
  return { x, y, n, anomalous: rows.map((t) => s.anomalous[t]) };
}

function residuals(model: tf.LayersModel, e: Examples): Float32Array {
  return tf.tidy(() => {
    const p = model.predict(tf.tensor2d(e.x, [e.n, L])) as tf.Tensor;
    return p.reshape([e.n]).sub(tf.tensor1d(e.y)).abs().dataSync() as Float32Array;
  });
}

function huber(r: Float32Array, keep: (i: number) => boolean): number {
  let s = 0;
  let n = 0;
  r.forEach((v, i) => {
    if (!keep(i)) return;
    s += v <= 1 ? 0.5 * v * v : v - 0.5;
    n++;
  });
  return n ? s / n : Number.NaN;
}

/** ROC AUC of score for label (Mann–Whitney); NaN without both classes. */
function auc(score: Float32Array, label: boolean[]): number {
  const idx = Array.from(score.keys()).sort((a, b) => score[a] - score[b]);
  let pos = 0;
  let rankSum = 0;
  idx.forEach((i, r) => {
    if (label[i]) {
      pos++;
      rankSum += r + 1;
    }
  });
  const neg = label.length - pos;
  return pos && neg ? (rankSum - (pos * (pos + 1)) / 2) / (pos * neg) : Number.NaN;
}

async function fit(model: tf.LayersModel, e: Examples): Promise<number> {
  const xs = tf.tensor2d(e.x, [e.n, L]);
  const ys = tf.tensor2d(e.y, [e.n, 1]);
  model.compile({ optimizer: tf.train.adam(0.005), loss: (a: tf.Tensor, b: tf.Tensor) => tf.losses.huberLoss(a, b, undefined, 1) });
  const t0 = performance.now();
  await model.fit(xs, ys, { epochs: EPOCHS, batchSize: 256, shuffle: true, verbose: 0 });
  const ms = performance.now() - t0;
  tf.dispose([xs, ys]);
  return ms;
}

function artifactBytes(a: tf.io.ModelArtifacts): number {
  const w = a.weightData ? tf.io.CompositeArrayBuffer.join(a.weightData).byteLength : 0;
  return w + JSON.stringify({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs, format: a.format }).length;
}

async function modelBytes(m: tf.LayersModel): Promise<number> {
  let bytes = 0;
  await m.save(tf.io.withSaveHandler(async (a) => {
    bytes = artifactBytes(a);
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return bytes;
}

function loadNab(): Series[] {
  const labels = JSON.parse(fs.readFileSync(path.join(NAB, 'labels/combined_windows.json'), 'utf8')) as Record<string, Array<[string, string]>>;
  return Object.keys(labels)
    .sort()
    .map((rel) => {
      const lines = fs.readFileSync(path.join(NAB, 'data', rel), 'utf8').trim().split('\n').slice(1);
      const times = lines.map((l) => Date.parse(`${l.split(',')[0].replace(' ', 'T')}Z`));
      const values = lines.map((l) => Number(l.split(',')[1]));
      const windows = labels[rel].map(([a, b]) => [Date.parse(`${a.replace(' ', 'T')}Z`), Date.parse(`${b.replace(' ', 'T')}Z`)]);
      return { name: rel, group: 'nab' as const, values, anomalous: times.map((t) => windows.some(([a, b]) => t >= a && t <= b)) };
    });
}

/** The three demo components (web, db, queue), 2,400 healthy samples at 5 Hz, one series per metric. */
function demoSeries(): Series[] {
  const out: Series[] = [];
  for (const [k, kind] of ['web', 'db', 'queue'].entries()) {
    const rand = rng(100 + k);
    const rows = Array.from({ length: 2400 }, (_, i) => healthyValues(kind, i / 5, rand));
    for (const metric of Object.keys(KIND_METRICS[kind])) {
      out.push({ name: `demo-${kind}/${metric}`, group: 'demo', values: rows.map((r) => r[metric]), anomalous: rows.map(() => false) });
    }
  }
  return out;
}

interface Row {
  name: string;
  group: string;
  baseline: number;
  base: number;
  lora: number;
  full: number;
  scratch: number;
  gated: number;
  gatedKept: boolean;
  aucBase: number;
  aucLora: number;
  aucFull: number;
  loraMs: number;
  fullMs: number;
}

async function main(): Promise<void> {
  const backend = await selectBackend();
  const weights = BASE_WEIGHTS;
  const base = forecasterModel(weights);
  const series = [...loadNab(), ...demoSeries()];
  const rows: Row[] = [];
  let loraParams = 0;
  let loraBytes = 0;
  let fullBytes = 0;
  for (const s of series) {
    const nBase = Math.min(750, Math.max(200, Math.floor(0.15 * s.values.length)));
    const train = examples(s, 0, nBase);
    const test = examples(s, nBase, s.values.length);
    const normal = (i: number) => !test.anomalous[i];

    const lora = applyLoRA(base, { rank: RANK, alpha: 2 * RANK, seed: 1, layers: LAYERS });
    const loraMs = await fit(lora, train);
    loraParams = countParams(lora).trainable;
    const adapter = extractAdapter(lora);
    loraBytes = artifactBytes(adapter.toArtifacts());
    adapter.dispose();

    const full = forecasterModel(weights);
    const fullMs = await fit(full, train);
    fullBytes = await modelBytes(full);

    // Gated adapter: fit on the older 80 % of the baseline, keep it only if it wins on the newest 20 %.
    const cut = Math.floor(0.8 * nBase);
    const fitPart = examples(s, 0, cut);
    const valPart = examples(s, cut, nBase);
    const gatedModel = applyLoRA(base, { rank: RANK, alpha: 2 * RANK, seed: 2, layers: LAYERS });
    await fit(gatedModel, fitPart);
    const all = () => true;
    const gatedKept = huber(residuals(gatedModel, valPart), all) < 0.98 * huber(residuals(base, valPart), all);

    const scratch = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [L], units: 32, activation: 'relu' }),
        tf.layers.dense({ units: 16, activation: 'tanh' }),
        tf.layers.dense({ units: 1 }),
      ],
    });
    await fit(scratch, train);

    const rb = residuals(base, test);
    const rl = residuals(lora, test);
    const rf = residuals(full, test);
    const rs = residuals(scratch, test);
    const rg = gatedKept ? residuals(gatedModel, test) : rb;
    rows.push({
      name: s.name,
      group: s.group,
      baseline: nBase,
      base: huber(rb, normal),
      lora: huber(rl, normal),
      full: huber(rf, normal),
      scratch: huber(rs, normal),
      gated: huber(rg, normal),
      gatedKept,
      aucBase: auc(rb, test.anomalous),
      aucLora: auc(rl, test.anomalous),
      aucFull: auc(rf, test.anomalous),
      loraMs,
      fullMs,
    });
    [lora, full, scratch, gatedModel].forEach((m) => m.dispose());
    const r = rows.at(-1)!;
    process.stderr.write(`${s.name}: base ${r.base.toFixed(4)} lora ${r.lora.toFixed(4)} full ${r.full.toFixed(4)} scratch ${r.scratch.toFixed(4)} gated ${r.gated.toFixed(4)}${gatedKept ? ' (adapter kept)' : ''}\n`);
  }

  const mean = (xs: number[]) => {
    const f = xs.filter(Number.isFinite);
    return f.length ? f.reduce((a, b) => a + b, 0) / f.length : Number.NaN;
  };
  const median = (xs: number[]) => {
    const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
    return s.length ? s[Math.floor(s.length / 2)] : Number.NaN;
  };
  const summary: Record<string, unknown> = { backend, epochs: EPOCHS, rank: RANK, layers: LAYERS ?? 'all', baseParams: base.countParams(), loraParams, loraBytes, fullParams: base.countParams(), fullBytes };
  for (const group of ['nab', 'demo']) {
    const g = rows.filter((r) => r.group === group);
    const rel = (k: 'lora' | 'full' | 'scratch' | 'gated') => g.map((r) => (r.base - r[k]) / r.base);
    summary[group] = {
      components: g.length,
      huber: { base: mean(g.map((r) => r.base)), lora: mean(g.map((r) => r.lora)), full: mean(g.map((r) => r.full)), scratch: mean(g.map((r) => r.scratch)), gated: mean(g.map((r) => r.gated)) },
      medianImprovementVsBase: { lora: median(rel('lora')), full: median(rel('full')), scratch: median(rel('scratch')), gated: median(rel('gated')) },
      meanImprovementVsBase: { lora: mean(rel('lora')), full: mean(rel('full')), scratch: mean(rel('scratch')), gated: mean(rel('gated')) },
      improvedVsBase: { lora: rel('lora').filter((v) => v > 0).length, full: rel('full').filter((v) => v > 0).length, scratch: rel('scratch').filter((v) => v > 0).length, gated: rel('gated').filter((v) => v > 0).length },
      worseThanBase: { lora: rel('lora').filter((v) => v < 0).length, full: rel('full').filter((v) => v < 0).length, gated: rel('gated').filter((v) => v < 0).length },
      adaptersKeptByGate: g.filter((r) => r.gatedKept).length,
      aucMean: { base: mean(g.map((r) => r.aucBase)), lora: mean(g.map((r) => r.aucLora)), full: mean(g.map((r) => r.aucFull)) },
      finetuneMsMedian: { lora: median(g.map((r) => r.loraMs)), full: median(g.map((r) => r.fullMs)) },
      finetuneEpochMsMedian: { lora: median(g.map((r) => r.loraMs / EPOCHS)), full: median(g.map((r) => r.fullMs / EPOCHS)) },
    };
  }
  base.dispose();
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  const out = arg('--json', '');
  if (out) fs.writeFileSync(out, JSON.stringify({ summary, rows }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

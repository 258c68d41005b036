/**
 * Monitor (anomaly detection) benchmarks. Runnable alone:
 *
 *   npx tsx tools/bench/monitor.bench.ts      # one JSON line per figure
 *
 * Figures: throughput of batched scoring, p99 latency of a batch of 1,000 components × 1 sample
 * (with the shared forecaster, and with every component's own LoRA adapter: `_all_adapters`),
 * time to learn a 100-sample baseline, snapshot size per component, the backend in use, and the
 * machine's 1-minute load average while the timings ran (timings on a shared machine depend on it).
 */
import os from 'node:os';
import { BASE_WEIGHTS, createAnomalyDetector, type ComponentSample } from '@x0/anomaly';
import { runWhenMain, type Figure } from './figure';

const COMPONENTS = 1000;
const STEP_MS = 1000;

function batchAt(t: number, components = COMPONENTS): ComponentSample[] {
  const out: ComponentSample[] = new Array(components);
  for (let c = 0; c < components; c++) {
    const v = 50 + 10 * Math.sin((2 * Math.PI * (t + c)) / 300) + ((t * 7919 + c * 104729) % 1000) / 500;
    out[c] = { component: `svc-${c}`, timeMs: t * STEP_MS, values: new Map([['latency_ms', v]]) };
  }
  return out;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  // --- 1,000 components × 1 sample/s: warm up past the learning phase, then time batches
  const det = await createAnomalyDetector({ warmupSamples: 100 });
  let t = 0;
  for (; t < 150; t++) det.scoreBatch(batchAt(t));
  const rounds = 300;
  /** Times `rounds` batches: throughput and the sorted batch latencies. */
  const timeRounds = () => {
    const lat: number[] = [];
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++, t++) {
      const b = batchAt(t);
      const s = process.hrtime.bigint();
      det.scoreBatch(b);
      lat.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    const totalS = Number(process.hrtime.bigint() - t0) / 1e9;
    return { perS: Math.round((rounds * COMPONENTS) / totalS), lat: lat.sort((a, b) => a - b) };
  };
  const shared = timeRounds();
  figures.push({ bench: 'monitor.score_samples_per_s', value: shared.perS, unit: 'samples/s' });
  figures.push({ bench: 'monitor.batch_latency_p99_ms', value: round(percentile(shared.lat, 0.99)), unit: 'ms' });
  figures.push({ bench: 'monitor.batch_latency_p50_ms', value: round(percentile(shared.lat, 0.5)), unit: 'ms' });
  // every component with its own LoRA adapter merged into the base (the weights' values do not change the cost)
  for (let c = 0; c < COMPONENTS; c++) det.setComponentForecaster(`svc-${c}`, { ...BASE_WEIGHTS, version: `adapter-${c}` });
  const adapted = timeRounds();
  for (let c = 0; c < COMPONENTS; c++) det.setComponentForecaster(`svc-${c}`, undefined);
  figures.push({ bench: 'monitor.score_samples_per_s_all_adapters', value: adapted.perS, unit: 'samples/s' });
  figures.push({ bench: 'monitor.batch_latency_p99_ms_all_adapters', value: round(percentile(adapted.lat, 0.99)), unit: 'ms' });
  figures.push({ bench: 'monitor.batch_latency_p50_ms_all_adapters', value: round(percentile(adapted.lat, 0.5)), unit: 'ms' });
  figures.push({ bench: 'monitor.backend', value: 1, unit: det.info.backend });
  figures.push({ bench: 'monitor.load_average_1m', value: round(os.loadavg()[0]), unit: 'load' });

  // --- learning a baseline from 100 samples (one new component, one batch)
  const times: number[] = [];
  for (let k = 0; k < 20; k++) {
    const d = await createAnomalyDetector({ warmupSamples: 100 });
    const samples = Array.from({ length: 100 }, (_, i) => batchAt(i, 1)[0]);
    const s = process.hrtime.bigint();
    d.scoreBatch(samples);
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
    d.dispose();
  }
  times.sort((a, b) => a - b);
  figures.push({ bench: 'monitor.baseline_100_ms', value: round(percentile(times, 0.5)), unit: 'ms' });

  // --- state size: the single-metric components above, and a 38-metric server (SMD-like)
  figures.push({ bench: 'monitor.state_bytes_per_component', value: det.snapshot('svc-0').length, unit: 'bytes' });
  const box = await createAnomalyDetector({ warmupSamples: 200 });
  for (let i = 0; i < 600; i++) {
    const values = new Map<string, number>();
    for (let m = 0; m < 38; m++) values.set(`m${m}`, Math.sin((i + m) / 10) + ((i * 31 + m * 17) % 100) / 100);
    box.scoreBatch([{ component: 'box', timeMs: i * 60_000, values }]);
  }
  figures.push({ bench: 'monitor.state_bytes_per_component_38_metrics', value: box.snapshot('box').length, unit: 'bytes' });
  box.dispose();
  det.dispose();
  return figures;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

runWhenMain(module, run);

import { deflateRawSync, inflateRawSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, NotFoundError } from '@x0/core';
import { createAnomalyDetector, type AnomalyDetector } from './anomaly-detector';
import { C, C_SIZE_V1, EVIDENCE_WINDOW } from './component-model';
import { JC, PLAIN } from './jump-counts';
import { crc32 } from './state-codec';
import { surpriseOfScore } from './severity';
import { SIGNATURE_DIM } from './signature';
import { gaussian, multiSamplesOf, periodicSeries, samplesOf, seededRandom } from './testing';
import type { ComponentSample } from './types';

const WARMUP = 300;
let det: AnomalyDetector;

beforeAll(async () => {
  det = await createAnomalyDetector({ warmupSamples: WARMUP });
});
afterAll(() => det.dispose());

const scoresOf = (ds: { score: number }[]) => ds.map((d) => d.score);
/**
 * A detector after 600 samples of a 3-metric component 'old' (Gaussian values), its snapshot and
 * the snapshot's body, and the next 100 samples.
 */
async function threeMetricsSnapshot(seed: number) {
  const g = gaussian(seededRandom(seed));
  const rows = Array.from({ length: 700 }, () => [g(), g(), g()]);
  const live = await createAnomalyDetector({ warmupSamples: 200 });
  live.scoreBatch(multiSamplesOf('old', ['a', 'b', 'c'], rows.slice(0, 600)));
  const now = live.snapshot('old');
  const next = multiSamplesOf('old', ['a', 'b', 'c'], rows.slice(600), { startMs: Date.UTC(2026, 0, 1) + 600 * 60_000 });
  return { live, now, body: inflateRawSync(now.subarray(14)), next };
}

/** A snapshot with `body` in place of its own (header kept, checksum recomputed). */
function repack(snapshot: Uint8Array, body: Uint8Array): Buffer {
  const out = Buffer.concat([snapshot.subarray(0, 14), deflateRawSync(body)]);
  out.writeUInt32LE(crc32(body), 10);
  return out;
}
const maxOf = (a: number[]) => a.reduce((m, v) => Math.max(m, v), 0);

describe('createAnomalyDetector', () => {
  it('info - reports the backend, model and warm-up', () => {
    expect(['tensorflow', 'wasm', 'cpu']).toContain(det.info.backend);
    expect(det.info.backend).toBe(tf.getBackend());
    expect(det.info.modelVersion).toMatch(/^stat-v1\+mlp-forecaster-/);
    expect(det.info.warmupSamples).toBe(WARMUP);
    expect(det.info.thresholds).toEqual({ low: 0.2, medium: 0.5, high: 0.8 });
  });

  it('options - rejects bad values with InvalidArgumentError naming the option', async () => {
    await expect(createAnomalyDetector({ warmupSamples: 0 })).rejects.toThrow("'options.warmupSamples' must be an integer >= 1, got 0");
    await expect(createAnomalyDetector({ thresholds: { low: 0.9, medium: 0.5, high: 0.8 } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(createAnomalyDetector({ backend: 'gpu' as any })).rejects.toThrow("'options.backend' must be auto|tensorflow|wasm|cpu, got gpu");
    await expect(createAnomalyDetector({ jumpCounts: 'yes' as any })).rejects.toThrow("'options.jumpCounts' must be true or false, got yes");
  });
});

describe('detection', () => {
  it('warm-up - scores 0 in the learning phase, then scores', () => {
    const out = det.scoreBatch(samplesOf('warm', periodicSeries({ n: WARMUP + 5, seed: 11 })));
    expect(out.slice(0, WARMUP).every((d) => d.phase === 'learning' && d.score === 0 && d.severity === 'none')).toBe(true);
    expect(out[WARMUP].phase).toBe('scoring');
    expect(out[WARMUP].signature).toHaveLength(SIGNATURE_DIM);
    expect(det.status('warm')).toMatchObject({ phase: 'scoring', samplesSeen: WARMUP + 5 });
  });

  it('clean periodic data - stays quiet after warm-up', () => {
    const out = det.scoreBatch(samplesOf('clean', periodicSeries({ n: 2000, seed: 3 })));
    const scores = scoresOf(out.slice(WARMUP));
    expect(maxOf(scores)).toBeLessThan(0.2);
    expect(out.slice(WARMUP).every((d) => d.severity === 'none')).toBe(true);
  });

  it('injected spike - is flagged at the spike and nowhere else', () => {
    const x = periodicSeries({ n: 1500, seed: 4 });
    x[1200] += 40;
    const out = det.scoreBatch(samplesOf('spike', x));
    expect(out[1200].score).toBeGreaterThan(0.5);
    expect(out[1200].severity).not.toBe('none');
    expect(out[1200].metrics[0]).toMatchObject({ metric: 'value', value: x[1200] });
    expect(Math.abs(out[1200].metrics[0].expected - (x[1200] - 40))).toBeLessThan(10);
    const others = scoresOf(out.slice(WARMUP)).filter((_, i) => i + WARMUP !== 1200 && i + WARMUP !== 1201);
    expect(maxOf(others)).toBeLessThan(0.2);
  });

  it('windowSignature - the signature of the latest sample whatever its severity: the window shape of a flagged detection\'s, not zero for a quiet one', async () => {
    const d = await createAnomalyDetector({ warmupSamples: WARMUP });
    try {
      const x = periodicSeries({ n: 800, seed: 4 });
      x[700] += 40;
      const out = d.scoreBatch(samplesOf('sig', x.slice(0, 701)));
      expect(out[700].severity).not.toBe('none');
      // The same window (the first half), scaled differently: the deviations come from the baseline here, from the statistics there.
      const shape = (v: Float32Array) => Array.from(v.slice(0, SIGNATURE_DIM / 2));
      const [a, b] = [shape(d.windowSignature('sig', 'value')!), shape(out[700].signature)];
      expect(a.reduce((acc, v, i) => acc + v * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b))).toBeCloseTo(1, 6);
      const quiet = d.scoreBatch(samplesOf('sig', x.slice(701, 710), { startMs: Date.UTC(2026, 0, 1) + 701 * 60_000 }))[8];
      expect(quiet.severity).toBe('none');
      expect(quiet.signature.some((v) => v !== 0)).toBe(false);
      const sig = d.windowSignature('sig')!;
      expect(sig).toHaveLength(SIGNATURE_DIM);
      expect(Math.hypot(...sig)).toBeCloseTo(1, 5);
      expect([d.windowSignature('nobody'), d.windowSignature('sig', 'no_such_metric')!.some((v) => v !== 0)]).toEqual([undefined, false]);
    } finally {
      d.dispose();
    }
  });

  it('level shift - is flagged when it happens', () => {
    const x = periodicSeries({ n: 1500, seed: 5 });
    for (let i = 1200; i < x.length; i++) x[i] += 30;
    const out = det.scoreBatch(samplesOf('shift', x));
    expect(maxOf(scoresOf(out.slice(WARMUP, 1200)))).toBeLessThan(0.2);
    expect(maxOf(scoresOf(out.slice(1200, 1205)))).toBeGreaterThan(0.5);
  });

  it('multi-metric - one metric breaking away is flagged and named first', () => {
    const g = gaussian(seededRandom(9));
    const rows: number[][] = [];
    for (let t = 0; t < 1500; t++) {
      const load = 50 + 20 * Math.sin((2 * Math.PI * t) / 96) + 2 * g();
      rows.push([load, 2 * load + 2 * g() + (t >= 1200 && t < 1210 ? 120 : 0), 10 + g()]);
    }
    const out = det.scoreBatch(multiSamplesOf('mm', ['cpu', 'latency', 'mem'], rows));
    expect(maxOf(scoresOf(out.slice(WARMUP, 1200)))).toBeLessThan(0.2);
    const hit = out.slice(1200, 1210).reduce((a, b) => (b.score > a.score ? b : a));
    // the break is shared by 3 metrics (Bonferroni) and the joint model's evidence is tempered: flagged, not 'high'
    expect(hit.score).toBeGreaterThan(0.3);
    expect(hit.severity).not.toBe('none');
    expect(hit.metrics[0].metric).toBe('latency');
    expect(hit.metrics.map((m) => m.metric).sort()).toEqual(['cpu', 'latency', 'mem']);
    expect(det.status('mm')!.metrics.map((m) => m.metric)).toEqual(['cpu', 'latency', 'mem']);
  });

  it('multi-metric - a flapping incident keeps its score between peaks (evidence averaged over EVIDENCE_WINDOW samples)', () => {
    const g = gaussian(seededRandom(12));
    const rows: number[][] = [];
    // from t = 1200, latency breaks away on every third sample for 30 samples
    const peak = (t: number) => t >= 1200 && t < 1230 && t % 3 === 0;
    for (let t = 0; t < 1300; t++) {
      const load = 50 + 20 * Math.sin((2 * Math.PI * t) / 96) + 2 * g();
      rows.push([load, 2 * load + 2 * g() + (peak(t) ? 30 : 0), 10 + g()]);
    }
    const out = det.scoreBatch(multiSamplesOf('mm-flap', ['cpu', 'latency', 'mem'], rows));
    const mean = (ts: number[]) => ts.reduce((a, t) => a + surpriseOfScore(out[t].score), 0) / ts.length;
    // once the window is full of the incident: the samples between peaks keep more than half of
    // the peaks' evidence (an exponential hold alone keeps about 0.4 of it here)
    const after = Array.from({ length: 30 - EVIDENCE_WINDOW }, (_, i) => 1200 + EVIDENCE_WINDOW + i);
    const peaks = after.filter(peak);
    const between = after.filter((t) => !peak(t));
    expect(mean(peaks)).toBeGreaterThan(1.8); // each peak is flagged ('low' or above)
    expect(mean(between) / mean(peaks)).toBeGreaterThan(0.48);
    // and the incident is forgotten once it has left the window
    expect(maxOf(scoresOf(out.slice(1230 + EVIDENCE_WINDOW + 10, 1300)))).toBeLessThan(0.2);
  });

  it('batching - scores do not depend on how samples are grouped into batches', async () => {
    const a = await createAnomalyDetector({ warmupSamples: 100 });
    const b = await createAnomalyDetector({ warmupSamples: 100 });
    const s = samplesOf('c', periodicSeries({ n: 400, seed: 21 }));
    const whole = a.scoreBatch(s);
    const pieces = [...b.scoreBatch(s.slice(0, 1)), ...b.scoreBatch(s.slice(1, 37)), ...b.scoreBatch(s.slice(37))];
    for (let i = 0; i < 400; i++) expect(pieces[i].score).toBeCloseTo(whole[i].score, 5);
    a.dispose();
    b.dispose();
  });

  it('interleaved components - each is scored against its own history only', async () => {
    const d = await createAnomalyDetector({ warmupSamples: 100 });
    const x = samplesOf('x', periodicSeries({ n: 300, seed: 1 }));
    const y = samplesOf('y', periodicSeries({ n: 300, level: 1000, amplitude: 1, seed: 2 }));
    const mixed = d.scoreBatch(x.flatMap((s, i) => [s, y[i]]));
    const alone = await createAnomalyDetector({ warmupSamples: 100 });
    const xs = alone.scoreBatch(x);
    for (let i = 0; i < 300; i++) expect(mixed[2 * i].score).toBeCloseTo(xs[i].score, 5);
    expect(d.components()).toEqual(['x', 'y']);
    d.dispose();
    alone.dispose();
  });
});

describe('bad input', () => {
  it('scoreBatch - rejects NaN, Infinity and empty metrics per sample without touching the state', async () => {
    const d = await createAnomalyDetector({ warmupSamples: 10 });
    const good = samplesOf('c', periodicSeries({ n: 20, seed: 1 }));
    d.scoreBatch(good.slice(0, 15));
    const before = d.snapshot('c');
    const t = good[15].timeMs;
    const bad: ComponentSample[] = [
      { component: 'c', timeMs: t, values: new Map([['value', Number.NaN]]) },
      { component: 'c', timeMs: t, values: new Map([['value', Number.POSITIVE_INFINITY]]) },
      { component: 'c', timeMs: t, values: new Map([['', 1]]) },
      { component: 'c', timeMs: t, values: new Map() },
      { component: 'c', timeMs: good[0].timeMs, values: new Map([['value', 1]]) },
    ];
    const out = d.scoreBatch(bad);
    expect(out.map((o) => o.rejected)).toEqual([
      "'values['value']' must be a finite number, got NaN",
      "'values['value']' must be a finite number, got Infinity",
      "'values' has an empty metric name",
      "'values' must hold at least one metric",
      `'timeMs' ${good[0].timeMs} is before the component's last sample (${good[14].timeMs})`,
    ]);
    expect(out.every((o) => o.score === 0 && o.severity === 'none' && o.phase === 'scoring')).toBe(true);
    expect(Buffer.from(d.snapshot('c')).equals(Buffer.from(before))).toBe(true);
    expect(d.samplesSeen).toBe(15);
    d.dispose();
  });
});

describe('state', () => {
  it('snapshot/restore - a restored detector continues with the same scores as an uninterrupted one', async () => {
    const x = periodicSeries({ n: 1600, seed: 31, period: 60 });
    x[1400] += 50;
    const s = samplesOf('svc', x, { stepMs: 300_000 });
    const live = await createAnomalyDetector({ warmupSamples: WARMUP });
    live.scoreBatch(s.slice(0, 900));
    const bytes = live.snapshot('svc');
    expect(bytes.length).toBeLessThan(50 * 1024);
    const restarted = await createAnomalyDetector({ warmupSamples: WARMUP });
    restarted.restore('svc', bytes);
    expect(restarted.status('svc')).toEqual(live.status('svc'));
    // what the restored state had learnt counts as seen (restoring it again does not count it twice)
    restarted.restore('svc', bytes);
    expect(restarted.samplesSeen).toBe(900);
    const a = live.scoreBatch(s.slice(900));
    const b = restarted.scoreBatch(s.slice(900));
    expect(scoresOf(b)).toEqual(scoresOf(a));
    expect(restarted.samplesSeen).toBe(live.samplesSeen);
    expect(a[500].score).toBeGreaterThan(0.5); // the spike at 1400, seen after the restart
    live.dispose();
    restarted.dispose();
  });

  it('snapshot - a 38-metric component stays under 50 KB', async () => {
    const d = await createAnomalyDetector({ warmupSamples: 200 });
    const g = gaussian(seededRandom(5));
    const metrics = Array.from({ length: 38 }, (_, k) => `m${k}`);
    const rows = Array.from({ length: 600 }, () => metrics.map(() => g()));
    d.scoreBatch(multiSamplesOf('box', metrics, rows));
    const bytes = d.snapshot('box');
    expect(bytes.length).toBeLessThan(50 * 1024);
    const r = await createAnomalyDetector({ warmupSamples: 200 });
    r.restore('box', bytes);
    const next = multiSamplesOf('box', metrics, [metrics.map(() => 3)], { startMs: Date.UTC(2026, 0, 1) + 600 * 60_000 });
    expect(r.scoreBatch(next)[0].score).toBe(d.scoreBatch(next)[0].score);
    d.dispose();
    r.dispose();
  });

  it('restore - reads snapshots written before the evidence window, which then fills from the next samples', async () => {
    const { live, now, body, next } = await threeMetricsSnapshot(6);
    // the same snapshot in the previous layout: 5 component scalars instead of C.SIZE
    const HEAD = 15; // u16 × 7 sizes, u8 severity
    const v1 = Buffer.concat([body.subarray(0, HEAD), body.subarray(HEAD, HEAD + 8 * C_SIZE_V1), body.subarray(HEAD + 8 * C.SIZE)]);
    v1.writeUInt16LE(C_SIZE_V1, 0);
    const legacy = repack(now, v1);
    const restored = await createAnomalyDetector({ warmupSamples: 200 });
    restored.restore('old', legacy);
    expect(restored.status('old')).toEqual(live.status('old'));
    const a = scoresOf(live.scoreBatch(next));
    const b = scoresOf(restored.scoreBatch(next));
    expect(b.slice(EVIDENCE_WINDOW)).toEqual(a.slice(EVIDENCE_WINDOW));
    live.dispose();
    restored.dispose();
  });

  it('restore - reads snapshots written before the jump counts, which start afresh; a detector without them ignores theirs', async () => {
    const { live, now, body, next } = await threeMetricsSnapshot(8);
    const withoutCounts = body.subarray(0, body.length - (2 + 8 * PLAIN * 3 + 8 * JC.SIZE));
    const legacy = repack(now, withoutCounts);
    const status = live.status('old');
    const a = scoresOf(live.scoreBatch(next));
    for (const [bytes, jumpCounts] of [[legacy, true], [now, false]] as const) {
      const restored = await createAnomalyDetector({ warmupSamples: 200, jumpCounts });
      restored.restore('old', bytes);
      expect(restored.status('old')).toEqual(status);
      // (no metric of these data jumps: the counts add nothing, so the scores are the same)
      expect(scoresOf(restored.scoreBatch(next))).toEqual(a);
      // the counts are written again (from scratch), or not at all
      expect(inflateRawSync(restored.snapshot('old').subarray(14)).length).toBe(jumpCounts ? body.length : withoutCounts.length);
      restored.dispose();
    }
    live.dispose();
  });

  it('restore - rejects corrupt or foreign bytes with InvalidArgumentError', async () => {
    const d = await createAnomalyDetector({ warmupSamples: 10 });
    d.scoreBatch(samplesOf('c', periodicSeries({ n: 20 })));
    const bytes = d.snapshot('c');
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 3] ^= 0xff;
    expect(() => d.restore('c', flipped)).toThrow(InvalidArgumentError);
    expect(() => d.restore('c', bytes.subarray(0, 10))).toThrow("'state' cannot be restored for component 'c': too short");
    expect(() => d.restore('c', new Uint8Array(100))).toThrow("'state' cannot be restored for component 'c': not an anomaly-detector snapshot");
    const naive = await createAnomalyDetector({ warmupSamples: 10, forecaster: 'naive' });
    expect(() => naive.restore('c', bytes)).toThrow(/written by another model/);
    expect(() => d.snapshot('nope')).toThrow(NotFoundError);
    d.dispose();
    naive.dispose();
  });
});

describe('tensors', () => {
  it('scoreBatch - leaks no tensors after warm-up calls', async () => {
    const d = await createAnomalyDetector({ warmupSamples: 50 });
    const s = samplesOf('leak', periodicSeries({ n: 400, seed: 8 }));
    d.scoreBatch(s.slice(0, 100));
    const before = tf.memory().numTensors;
    for (let i = 100; i < 400; i += 50) d.scoreBatch(s.slice(i, i + 50));
    d.scoreBatch([]);
    expect(tf.memory().numTensors).toBe(before);
    d.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
    d.dispose(); // second dispose is a no-op
    expect(() => d.scoreBatch(s.slice(0, 1))).toThrow('detector is disposed');
  });
});

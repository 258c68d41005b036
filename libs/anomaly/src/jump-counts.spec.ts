import { createAnomalyDetector, type AnomalyDetector } from './anomaly-detector';
import { JC, JUMP_HIGH, JUMP_LOW, JUMP_WINDOW, JumpCounts, PLAIN } from './jump-counts';
import { newMetricState, S, scoreAndUpdateMetric, type MetricState } from './metric-model';
import { multiSamplesOf, seededRandom } from './testing';

const cfg = { warmup: 50, horizon: 1000, gapFactor: 10 };

/** A metric state that has seen `values` (one a minute). */
function metricAfter(values: number[]): MetricState {
  const st = newMetricState(0);
  values.forEach((v, i) => scoreAndUpdateMetric(st, v, i * 60_000, undefined, cfg));
  return st;
}

/**
 * A server: 37 busy metrics (values anywhere in their range) and an error counter that is 0 with
 * blips of 0.01–0.04 in 3 % of minutes and, long ago, two spikes near 1. `spike` at row 5990.
 */
function server(seed: number, spike: number): number[][] {
  const rand = seededRandom(seed);
  return Array.from({ length: 6000 }, (_, t) => {
    const row = Array.from({ length: 37 }, () => rand());
    row.push(t === 1500 ? 0.95 : t === 2500 ? 0.9 : t === 5990 ? spike : rand() < 0.03 ? 0.01 + 0.03 * rand() : 0);
    return row;
  });
}

describe('JumpCounts.jump', () => {
  it('is |x − mean of the last 30 values| in plain standard deviations of the values before x, 0 until 30 values', () => {
    const jc = new JumpCounts(2);
    const values: number[] = [];
    const st = newMetricState(0);
    for (let i = 0; i < 29; i++) {
      const v = i % 2; // 0, 1, 0, 1 …: mean 0.5, plain variance about 0.25
      expect(jc.jump(0, v, st, false, 1000)).toBe(0);
      scoreAndUpdateMetric(st, v, i * 60_000, undefined, cfg);
      values.push(v);
    }
    const v = 1;
    jc.jump(0, v, st, false, 1000);
    scoreAndUpdateMetric(st, v, 29 * 60_000, undefined, cfg);
    values.push(v);
    const mean = values.reduce((a, b) => a + b) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(jc.plain[1]).toBeCloseTo(mean, 12);
    expect(Math.sqrt(jc.plain[2])).toBeCloseTo(sd, 12);
    // the 31st value: measured against the 30 before it, with their deviation (x not learned yet)
    expect(jc.jump(0, 10, st, false, 1000)).toBeCloseTo((10 - mean) / sd, 9);
    expect(jc.plain[PLAIN]).toBe(0); // (metric 1 untouched)
  });

  it('grades the size of a sparse metric\'s spikes, which its per-metric calibration cannot tell from its blips', () => {
    const values = server(1, 0.04).map((row) => row[37]);
    const jc = new JumpCounts(1);
    const st = newMetricState(0);
    const settings = { warmup: 3000, horizon: 10_000, gapFactor: 10 }; // (the detector's, as below)
    values.slice(0, 5990).forEach((v, t) => {
      jc.jump(0, v, st, false, settings.horizon);
      scoreAndUpdateMetric(st, v, t * 60_000, undefined, settings);
    });
    // Its winsorised scale has collapsed (about 1e-6), so each blip is a forecast residual beyond
    // the last bin of its calibration (e^8 ≈ 2,980 scales), where a spike of 0.7 lands too: the
    // residual statistic gives them the same surprise.
    const residual = (x: number) => {
      const copy = newMetricState(0);
      copy.s.set(st.s);
      copy.ring.set(st.ring);
      copy.hist.set(st.hist);
      copy.season.set(st.season);
      const per = new Float64Array(5);
      scoreAndUpdateMetric(copy, x, 5990 * 60_000, undefined, settings, per);
      return per[0];
    };
    expect(Math.sqrt(st.s[S.VAR])).toBeLessThan(1e-5);
    expect(residual(0.04)).toBeGreaterThan(0);
    expect(residual(0.7)).toBeCloseTo(residual(0.04), 2);
    // In plain deviations the blip is small and the spike far beyond both thresholds.
    const fresh = () => {
      const c = new JumpCounts(1);
      c.plain.set(jc.plain);
      return c;
    };
    expect(fresh().jump(0, 0.04, st, true, settings.horizon)).toBeLessThan(JUMP_LOW);
    expect(fresh().jump(0, 0.7, st, true, settings.horizon)).toBeGreaterThan(JUMP_HIGH);
  });

  it('is 0 until its own plain statistics have seen JUMP_WINDOW values (counts that start after the ring filled: a restore, a second metric)', () => {
    const st = metricAfter(Array.from({ length: 40 }, (_, i) => i % 3));
    const jc = new JumpCounts(2);
    for (let i = 0; i < JUMP_WINDOW; i++) {
      expect(jc.jump(0, i % 3, st, false, 1000)).toBe(0);
      scoreAndUpdateMetric(st, i % 3, (40 + i) * 60_000, undefined, cfg);
    }
    expect(jc.jump(0, 50, st, false, 1000)).toBeGreaterThan(JUMP_HIGH);
  });

  it('does not learn while the component is in an incident (the previous sample\'s joint surprise beyond the gate)', () => {
    const jc = new JumpCounts(2);
    const st = metricAfter(Array.from({ length: 40 }, (_, i) => i % 3));
    jc.jump(0, 1, st, true, 1000);
    const jumps = new Float64Array(2);
    jc.surprise(jumps, 2, false, 5, 0, 1000); // joint surprise 5 on this sample
    const before = Float64Array.from(jc.plain);
    jc.jump(0, 100, st, true, 1000);
    expect(Array.from(jc.plain)).toEqual(Array.from(before));
    jc.surprise(jumps, 2, false, 0, 0, 1000);
    jc.jump(0, 100, st, true, 1000);
    expect(jc.plain[0]).toBe(before[0] + 1);
  });
});

describe('JumpCounts.surprise', () => {
  const H = 1e12; // (forgetting negligible over these streams)
  /** jumps of m metrics: `high` beyond JUMP_HIGH, `low` more between JUMP_LOW and JUMP_HIGH. */
  const jumpsOf = (m: number, high: number, low = 0) => Float64Array.from({ length: m }, (_, k) => (k < high ? 2 * JUMP_HIGH : k < high + low ? (JUMP_LOW + JUMP_HIGH) / 2 : 1));

  it('is −log10 of how often the component has seen a count at least as large', () => {
    const jc = new JumpCounts(10);
    // 999 quiet samples and one with a high jump, learnt in warm-up
    for (let t = 0; t < 1000; t++) jc.surprise(jumpsOf(10, t === 500 ? 1 : 0), 10, true, 0, 1000, H);
    expect(jc.surprise(jumpsOf(10, 0), 10, false, 0, 1000, H)).toBe(0);
    // one high jump: 1 in 1001 samples (plus the observation itself)
    expect(jc.surprise(jumpsOf(10, 1), 10, false, 0, 1000, H)).toBeCloseTo(-Math.log10(2 / 1002), 6);
    // three at once: never seen
    expect(jc.surprise(jumpsOf(10, 3), 10, false, 0, 1000, H)).toBeCloseTo(-Math.log10(1 / 1003), 6);
  });

  it('counts moderate jumps only when two or more metrics make them', () => {
    const jc = new JumpCounts(10);
    for (let t = 0; t < 1000; t++) jc.surprise(jumpsOf(10, 0), 10, true, 0, 1000, H);
    expect(jc.surprise(jumpsOf(10, 0, 1), 10, false, 0, 1000, H)).toBe(0);
    expect(jc.surprise(jumpsOf(10, 0, 2), 10, false, 0, 1000, H)).toBeGreaterThan(2.9);
  });

  it('is 0 while learning and until the counts have seen a warm-up of samples (a restore from a snapshot without them)', () => {
    const jc = new JumpCounts(4);
    for (let t = 0; t < 99; t++) expect(jc.surprise(jumpsOf(4, t === 50 ? 4 : 0), 4, false, 0, 100, H)).toBe(0);
    expect(jc.surprise(jumpsOf(4, 4), 4, false, 0, 100, H)).toBe(0);
    expect(jc.s[JC.SEEN]).toBe(100);
    expect(jc.surprise(jumpsOf(4, 4), 4, false, 0, 100, H)).toBeGreaterThan(1);
    expect(jc.surprise(jumpsOf(4, 4), 4, true, 0, 100, H)).toBe(0);
  });

  it('learns an incident\'s counts at 1/32, so a recurring incident fades only slowly', () => {
    const gated = new JumpCounts(4);
    const open = new JumpCounts(4);
    for (let t = 0; t < 1000; t++) {
      gated.surprise(jumpsOf(4, 0), 4, true, 0, 0, H);
      open.surprise(jumpsOf(4, 0), 4, true, 0, 0, H);
    }
    const during: number[] = [];
    const learnt: number[] = [];
    for (let t = 0; t < 20; t++) {
      during.push(gated.surprise(jumpsOf(4, 2), 4, false, 0, 0, H));
      learnt.push(open.surprise(jumpsOf(4, 2), 4, true, 0, 0, H)); // (learning: full weight)
    }
    const after = open.surprise(jumpsOf(4, 2), 4, false, 0, 0, H);
    expect(during[19]).toBeGreaterThan(2);
    expect(during[19]).toBeGreaterThan(after + 1);
    expect(learnt.every((s) => s === 0)).toBe(true);
  });
});

describe('detector with jump counts', () => {
  const names = [...Array.from({ length: 37 }, (_, k) => `m${k}`), 'errors'];
  const dets: AnomalyDetector[] = [];
  const detector = async (jumpCounts: boolean) => {
    const d = await createAnomalyDetector({ forecaster: 'naive', warmupSamples: 3000, jumpCounts });
    dets.push(d);
    return d;
  };
  afterAll(() => dets.forEach((d) => d.dispose()));

  it('flags a spike of a sparse metric that the per-metric and joint statistics rate like its blips', async () => {
    for (const seed of [1, 3]) {
      const rows = server(seed, 0.7);
      const without = (await detector(false)).scoreBatch(multiSamplesOf('box', names, rows));
      const withCounts = (await detector(true)).scoreBatch(multiSamplesOf('box', names, rows));
      const quiet = (out: typeof without) => Math.max(...out.slice(3000, 5990).map((d) => d.score));
      expect(without[5990].score).toBeLessThan(quiet(without));
      expect(withCounts[5990].score).toBeGreaterThan(quiet(withCounts) + 0.1);
      expect(withCounts[5990].severity).not.toBe('none');
      expect(withCounts[5990].metrics[0].metric).toBe('errors');
      const errors = (d: (typeof without)[number]) => d.metrics.find((c) => c.metric === 'errors')!.score;
      expect(errors(withCounts[5990])).toBeGreaterThan(errors(without[5990]) + 0.1);
      // where no metric jumps, the counts add nothing
      expect(withCounts.slice(3000, 5990).map((d) => d.score)).toEqual(without.slice(3000, 5990).map((d) => d.score));
    }
  });

  it('a blip of the size it usually makes is not flagged', async () => {
    const out = (await detector(true)).scoreBatch(multiSamplesOf('box', names, server(1, 0.04)));
    expect(out[5990].severity).toBe('none');
  });

  it('snapshot/restore - the counts continue where they were (a restored detector flags the same spike)', async () => {
    const rows = server(1, 0.7);
    const samples = multiSamplesOf('box', names, rows);
    const live = await detector(true);
    live.scoreBatch(samples.slice(0, 4000));
    const restarted = await detector(true);
    restarted.restore('box', live.snapshot('box'));
    const a = live.scoreBatch(samples.slice(4000));
    const b = restarted.scoreBatch(samples.slice(4000));
    expect(b.map((d) => d.score)).toEqual(a.map((d) => d.score));
    expect(b[1990].severity).not.toBe('none');
  });
});

import { createAnomalyDetector } from './anomaly-detector';
import { selectBackend } from './backend';
import { decodeFloat32, encodeFloat32, type BaseWeights } from './forecaster';
import { BASE_WEIGHTS, DenseForecaster, NeuralForecaster } from './neural-forecaster';
import { seededRandom } from './testing';
import type { ComponentSample, Detection } from './types';

/** The bundled weights with every weight of the hidden layer scaled: a recognisably different forecaster. */
function altered(version: string, factor: number): BaseWeights {
  const W1 = decodeFloat32(BASE_WEIGHTS.tensors.W1).map((v, i) => v * (i % 3 === 0 ? factor : 1));
  const b3 = decodeFloat32(BASE_WEIGHTS.tensors.b3).map((v) => v + 0.3);
  return { ...BASE_WEIGHTS, version, tensors: { ...BASE_WEIGHTS.tensors, W1: encodeFloat32(Float32Array.from(W1)), b3: encodeFloat32(Float32Array.from(b3)) } };
}

/** Two components, two metrics each, one sample per component per step. */
function samples(from: number, n: number): ComponentSample[] {
  const rand = seededRandom(from + 7);
  const out: ComponentSample[] = [];
  for (let i = from; i < from + n; i++) {
    for (const component of ['a', 'b']) {
      const v = 10 + 3 * Math.sin(i / (component === 'a' ? 6 : 9)) + rand();
      out.push({ component, timeMs: 1_000 * i, values: new Map([['lat', v], ['rps', 100 + 5 * rand()]]) });
    }
  }
  return out;
}

const of = (ds: Detection[], component: string) => ds.filter((d) => d.component === component);
const expected = (ds: Detection[]) => ds.flatMap((d) => d.metrics.map((m) => m.expected));

describe('DenseForecaster', () => {
  beforeAll(() => selectBackend('cpu'));

  it('forecastRow - the features and forecast of the shared network, computed in JavaScript', () => {
    const L = BASE_WEIGHTS.windowLength;
    const rand = seededRandom(3);
    const count = 50;
    const windows = Float32Array.from({ length: count * L }, (_, k) => 5 + Math.sin(k / 4) + rand() * (k % 7));
    const weights = altered('x', 1.7);
    const neural = new NeuralForecaster('cpu', weights);
    const fc = neural.forecast(windows, count);
    const want = { expected: fc.expected.slice(0, count), features: fc.features.slice(0, count * neural.featureDim) };
    fc.expected.fill(0);
    fc.features.fill(0);
    const dense = new DenseForecaster(weights);
    for (let r = 0; r < count; r++) dense.forecastRow(windows, r, fc);
    for (let r = 0; r < count; r++) expect(fc.expected[r]).toBeCloseTo(want.expected[r], 4);
    for (let k = 0; k < count * neural.featureDim; k++) expect(fc.features[k]).toBeCloseTo(want.features[k], 5);
    neural.dispose();
  });

  it('rejects tensors of the wrong size', () => {
    expect(() => new DenseForecaster({ ...BASE_WEIGHTS, tensors: { ...BASE_WEIGHTS.tensors, W2: encodeFloat32(new Float32Array(5)) } })).toThrow('tensor W2 has 5 values, expected 512');
  });
});

describe('setComponentForecaster', () => {
  it('one component is scored with its own weights, as a detector whose shared model has them; the others as before; undefined goes back', async () => {
    const own = altered('base+adapter', 1.8);
    const plain = await createAnomalyDetector({ warmupSamples: 30, backend: 'cpu' });
    const withOwn = await createAnomalyDetector({ warmupSamples: 30, backend: 'cpu' });
    const allOwn = await createAnomalyDetector({ warmupSamples: 30, backend: 'cpu' });
    withOwn.setComponentForecaster('a', own); // before 'a' is first seen
    allOwn.setForecasterWeights(own);
    expect([...withOwn.componentForecasters()]).toEqual([['a', 'base+adapter']]);
    const batch = samples(0, 120);
    const [p, w, o] = [plain, withOwn, allOwn].map((d) => d.scoreBatch(batch));
    // 'a': the forecasts (and so the scores) of its own weights
    const wa = expected(of(w, 'a'));
    const oa = expected(of(o, 'a'));
    wa.forEach((v, k) => expect(v).toBeCloseTo(oa[k], 3));
    expect(of(w, 'a').map((d) => d.score)).toEqual(of(o, 'a').map((d) => expect.closeTo(d.score, 3)));
    expect(wa.some((v, k) => Math.abs(v - expected(of(p, 'a'))[k]) > 0.05)).toBe(true);
    // 'b': untouched
    expect(of(w, 'b')).toEqual(of(p, 'b'));
    // back to the shared model: 'a' then forecasts as the plain detector (its state differs only through the past forecasts)
    withOwn.setComponentForecaster('a', undefined);
    expect(withOwn.componentForecasters().size).toBe(0);
    const next = samples(120, 1).filter((s) => s.component === 'a');
    const [back] = withOwn.scoreBatch(next);
    const [base] = plain.scoreBatch(next);
    const [still] = allOwn.scoreBatch(next);
    expect(Math.abs(back.metrics[0].expected - base.metrics[0].expected)).toBeLessThan(Math.abs(back.metrics[0].expected - still.metrics[0].expected));
    [plain, withOwn, allOwn].forEach((d) => d.dispose());
  });

  it('a restored component keeps its own forecaster; a forecaster set after the component was seen applies from the next batch', async () => {
    const own = altered('v2', 0.5);
    const d = await createAnomalyDetector({ warmupSamples: 30, backend: 'cpu' });
    const ref = await createAnomalyDetector({ warmupSamples: 30, backend: 'cpu' });
    d.scoreBatch(samples(0, 60));
    ref.scoreBatch(samples(0, 60));
    d.setComponentForecaster('a', own);
    ref.setComponentForecaster('a', own);
    d.restore('a', d.snapshot('a'));
    const [da, db] = [d, ref].map((x) => of(x.scoreBatch(samples(60, 5)), 'a'));
    expect(da).toEqual(db);
    const plain = await createAnomalyDetector({ warmupSamples: 30, backend: 'cpu' });
    plain.scoreBatch(samples(0, 60));
    const dp = of(plain.scoreBatch(samples(60, 5)), 'a');
    expect(expected(da)).not.toEqual(expected(dp));
    [d, ref, plain].forEach((x) => x.dispose());
  });

  it('refuses another shape, invalid tensors, an empty component and a naive detector, with the reason', async () => {
    const d = await createAnomalyDetector({ backend: 'cpu' });
    expect(() => d.setComponentForecaster('a', { ...BASE_WEIGHTS, featureDim: 8 })).toThrow("'weights' must have window 24 and 16 features, got 24 and 8");
    expect(() => d.setComponentForecaster('a', { ...BASE_WEIGHTS, tensors: { ...BASE_WEIGHTS.tensors, b1: encodeFloat32(new Float32Array(2)) } })).toThrow(
      "'weights' are not a valid forecaster: tensor b1 has 2 values, expected 32",
    );
    expect(() => d.setComponentForecaster('', BASE_WEIGHTS)).toThrow("'component' must be a non-empty string");
    expect(d.componentForecasters().size).toBe(0);
    d.dispose();
    const naive = await createAnomalyDetector({ forecaster: 'naive' });
    expect(() => naive.setComponentForecaster('a', BASE_WEIGHTS)).toThrow("'weights' cannot be set: the detector runs the naive forecaster");
  });
});

import { incidentSignature, metricZScores } from './incident-signature';

const norm = (v: Float32Array) => Math.hypot(...v);
const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b));

describe('incident signature', () => {
  const shape = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i / 3));

  it('is unit length with both halves present', () => {
    const s = incidentSignature(shape, [{ metric: 'cpu', z: 12 }]);
    expect(s).toHaveLength(64);
    expect(norm(s)).toBeCloseTo(1, 5);
  });

  it('the same metrics moving the same way are close; other metrics or the other direction are not', () => {
    const cpuUp = incidentSignature(shape, [{ metric: 'cpu', z: 10 }, { metric: 'latency_ms', z: 6 }]);
    const cpuUpAgain = incidentSignature(shape, [{ metric: 'cpu', z: 14 }, { metric: 'latency_ms', z: 5 }]);
    const memUp = incidentSignature(shape, [{ metric: 'mem_mb', z: 10 }]);
    const cpuDown = incidentSignature(shape, [{ metric: 'cpu', z: -10 }, { metric: 'latency_ms', z: -6 }]);
    expect(cos(cpuUp, cpuUpAgain)).toBeGreaterThan(0.99);
    expect(cos(cpuUp, memUp)).toBeLessThan(0.8);
    expect(cos(cpuUp, cpuDown)).toBeLessThan(cos(cpuUp, memUp));
  });

  it('metricZScores - signed, with a floor on tiny spreads, skipping metrics without a baseline', () => {
    const z = metricZScores(new Map([['cpu', 0.9], ['flat', 101], ['new', 5]]), (m) => (m === 'cpu' ? { mean: 0.3, std: 0.1 } : m === 'flat' ? { mean: 100, std: 0 } : undefined));
    expect(z).toEqual([{ metric: 'cpu', z: expect.closeTo(6, 6) }]);
    const floored = metricZScores(new Map([['flat', 104]]), () => ({ mean: 100, std: 0.001 }));
    expect(floored[0].z).toBeCloseTo(2, 6);
  });
});

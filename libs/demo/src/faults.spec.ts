import { faultFits } from './demo-simulator';
import { healthyValues, rng } from './component-model';
import { applyFault, FAULT_KINDS, FIXES } from './faults';

describe('demo faults', () => {
  it('every fault has a fix and moves some metric of some kind', () => {
    for (const k of FAULT_KINDS) {
      expect(FIXES[k].length).toBeGreaterThan(0);
      expect(['web', 'db', 'queue'].some((kind) => faultFits(k, kind))).toBe(true);
    }
  });

  it('queue kinds get backlogs, web kinds do not', () => {
    expect(faultFits('queue_backlog', 'queue')).toBe(true);
    expect(faultFits('queue_backlog', 'web')).toBe(false);
  });

  it('faults push metrics far outside their healthy range', () => {
    const rand = rng(1);
    const healthy = Array.from({ length: 200 }, (_, i) => healthyValues('web', i, rand));
    const maxLatency = Math.max(...healthy.map((v) => v.latency_ms));
    const spiked = applyFault('latency_spike', healthy[0], 10);
    expect(spiked.latency_ms).toBeGreaterThan(2 * maxLatency);
    const saturated = applyFault('cpu_saturation', healthy[0], 10);
    expect(saturated.cpu).toBeGreaterThan(0.9);
  });

  it('healthy values are deterministic for a seed', () => {
    expect(healthyValues('db', 5, rng(7))).toEqual(healthyValues('db', 5, rng(7)));
  });
});

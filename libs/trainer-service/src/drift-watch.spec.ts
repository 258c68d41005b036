import { seededRandom } from '@x0/action-params';
import { DriftWatch } from './drift-watch';

function rows(n: number, seed: number, shift = 0): Array<Map<string, number>> {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => new Map([['cpu', 0.3 + 0.05 * rand()], ['latency_ms', 80 + 10 * rand() + shift]]));
}

describe('DriftWatch', () => {
  const thresholds = { minAccuracy: 0.7, maxErrorRate: 0.1, maxLatencyP95Ms: 100, maxPsi: 0.2, ksAlpha: 0.05 };

  it('baseline - the first rows become the reference; a shifted metric alerts once, naming the component, and triggers', () => {
    const w = new DriftWatch({ model: 'detector', thresholds, minRows: 200, retrainCooldownMs: 60_000, clock: () => 1 });
    w.observe('db-1', rows(200, 1));
    expect(w.report('db-1')).toMatchObject({ drift: { samples: 0, breached: null } });
    w.observe('db-1', rows(300, 2));
    expect(w.check()).toEqual([]);
    w.observe('db-1', rows(800, 3, 40));
    const [finding] = w.check();
    expect(finding.component).toBe('db-1');
    expect(finding.alerts.map((a) => [a.type, a.features!.map((f) => f.feature)])).toEqual([['input_drift', [1]]]);
    expect(w.metricsOf('db-1')).toEqual(['cpu', 'latency_ms']);
    expect(finding.retrain!.model).toBe('detector:db-1');
    expect(w.check()).toEqual([]);
  });

  it('reset - a training-window reference replaces the baseline at once', () => {
    const w = new DriftWatch({ model: 'detector', thresholds, minRows: 100, retrainCooldownMs: 0 });
    w.reset(new Map([['db-1', rows(200, 4, 40)]]));
    w.observe('db-1', rows(200, 5, 40));
    expect(w.report('db-1')!.drift).toMatchObject({ samples: 200, breached: false });
    expect(w.worst()!.component).toBe('db-1');
  });
});

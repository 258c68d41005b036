import { seededRandom } from '@x0/action-params';
import { DriftWatch } from './drift-watch';

/** Rows of cpu and latency noise; with `flap`, latency alternates high/low (a dynamics change). */
function rows(n: number, seed: number, opts: { flap?: boolean; shift?: number } = {}): Array<Map<string, number>> {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const latency = 80 + 10 * rand() + (opts.shift ?? 0);
    return new Map([
      ['cpu', 0.3 + 0.05 * rand()],
      ['latency_ms', opts.flap ? latency * (i % 2 === 0 ? 1.6 : 0.5) : latency],
    ]);
  });
}

describe('DriftWatch', () => {
  const thresholds = { minAccuracy: 0.7, maxErrorRate: 0.1, maxLatencyP95Ms: 100, maxPsi: 0.2, ksAlpha: 0.05 };

  it('baseline - the first sample becomes the reference; a metric that starts flapping alerts once, naming its feature, and triggers', () => {
    const w = new DriftWatch({ model: 'detector', thresholds, minRows: 200, retrainCooldownMs: 60_000, clock: () => 1 });
    w.observe('db-1', rows(300, 1));
    expect(w.report('db-1')).toMatchObject({ drift: { samples: 0, breached: null } });
    w.observe('db-1', rows(300, 2));
    expect(w.check()).toEqual([]);
    w.observe('db-1', rows(800, 3, { flap: true }));
    const [finding] = w.check();
    expect(finding.component).toBe('db-1');
    const flagged = finding.alerts[0].features!.map((f) => w.featuresOf('db-1')[f.feature]);
    expect(finding.alerts.map((a) => a.type)).toEqual(['input_drift']);
    expect(flagged).toEqual(['latency_ms.step']);
    expect(finding.retrain!.model).toBe('detector:db-1');
    expect(w.check()).toEqual([]);
  });

  it('carried - a drift alert raised before a restart is not raised again; when the drift is over it is reported cleared', () => {
    const first = new DriftWatch({ model: 'detector', thresholds, minRows: 100, retrainCooldownMs: 60_000, clock: () => 1 });
    first.reset(new Map([['db-1', rows(300, 8)]]));
    first.observe('db-1', rows(300, 9, { flap: true }));
    const [raised] = first.check()[0].alerts;
    expect(raised).toMatchObject({ type: 'input_drift', model: 'detector:db-1' });

    const next = new DriftWatch({ model: 'detector', thresholds, minRows: 100, retrainCooldownMs: 60_000, clock: () => 2 });
    next.reset(new Map([['db-1', rows(300, 8)]]), (monitor) => (monitor === 'detector:db-1' ? [raised] : []));
    next.observe('db-1', rows(300, 9, { flap: true }));
    const [again] = next.check();
    expect(again).toMatchObject({ component: 'db-1', alerts: [], cleared: [] });
    expect(again.retrain!.reasons).toEqual([raised]); // still a reason to retrain (the job runner's cooldown decides)
    next.observe('db-1', rows(400, 10));
    expect(next.check()).toEqual([{ component: 'db-1', alerts: [], retrain: undefined, cleared: [raised] }]);
  });

  it('steps - a level shift alone is not drift for the forecaster (its inputs are normalised)', () => {
    const w = new DriftWatch({ model: 'detector', thresholds, minRows: 200, retrainCooldownMs: 0 });
    w.observe('db-1', rows(300, 4));
    w.observe('db-1', rows(800, 5, { shift: 500 }));
    expect(w.report('db-1')!.drift.breached).toBe(false);
  });

  it('reset - a training-window reference replaces the baseline at once', () => {
    const w = new DriftWatch({ model: 'detector', thresholds, minRows: 100, retrainCooldownMs: 0 });
    w.reset(new Map([['db-1', rows(300, 6, { flap: true })]]));
    w.observe('db-1', rows(300, 7, { flap: true }));
    expect(w.report('db-1')!.drift).toMatchObject({ breached: false });
    expect(w.worst()!.component).toBe('db-1');
  });

  it('excluded - rows left out (an incident) are not in the window, and no step spans them; a held component is not judged', () => {
    const w = new DriftWatch({ model: 'detector', thresholds, minRows: 200, retrainCooldownMs: 60_000, clock: () => 1 });
    w.observe('db-1', rows(300, 1));
    // 800 flapping rows, all left out, between normal ones: nothing of them is judged.
    const mixed = [...rows(100, 2), ...rows(800, 3, { flap: true }), ...rows(200, 4, { shift: 400 })];
    w.observe('db-1', mixed, (i) => i >= 100 && i < 900);
    // 100 rows make 100 steps (the first from the reference's last row), the 200 after the gap
    // 199: none across the gap (it would be a +400 step).
    expect(w.report('db-1')).toMatchObject({ drift: { samples: 299, breached: false } });
    expect(w.check()).toEqual([]);

    w.observe('db-1', rows(800, 5, { flap: true }));
    expect(w.check(() => true)).toEqual([]);
    expect(w.check().map((f) => f.alerts.map((a) => a.type))).toEqual([['input_drift']]);
  });
});

import { StabilisationTracker } from './stabilisation';

const S = 1000;
const settings = { minConsecutive: 3, minPersistMs: 30 * S, episodeGapMs: 60 * S, flapWindowMs: 300 * S };

describe('stabilisation', () => {
  it('check - nothing observed is not actionable', () => {
    const t = new StabilisationTracker(settings);
    expect(t.check('web-1', 0)).toEqual({ ok: false, detail: 'no current anomaly observed for this component' });
  });

  it('check - N consecutive anomalies make it actionable', () => {
    const t = new StabilisationTracker(settings);
    t.observeAnomaly('web-1', 0);
    t.observeAnomaly('web-1', 5 * S);
    expect(t.check('web-1', 5 * S)).toEqual({ ok: false, detail: '2 anomalies over 5s; need 3 in a row or 30s' });
    t.observeAnomaly('web-1', 10 * S);
    expect(t.check('web-1', 10 * S)).toEqual({ ok: true, detail: '3 anomalies over 10s' });
  });

  it('check - assumeAnomaly answers as if one more anomaly were seen now, recording nothing', () => {
    const t = new StabilisationTracker({ ...settings, minConsecutive: 2 });
    expect(t.check('web-1', 0, true)).toEqual({ ok: false, detail: '1 anomaly over 0s; need 2 in a row or 30s' });
    t.observeAnomaly('web-1', 0);
    expect(t.check('web-1', 5 * S, true)).toEqual({ ok: true, detail: '2 anomalies over 5s' });
    expect(t.check('web-1', 5 * S)).toEqual({ ok: false, detail: '1 anomaly over 5s; need 2 in a row or 30s' });
    t.observeRecovery('web-1', 10 * S);
    expect(t.check('web-1', 11 * S, true).detail).toMatch(/^flapping: recovered 1s ago/);
  });

  it('check - persisting S seconds makes it actionable with fewer anomalies', () => {
    const t = new StabilisationTracker(settings);
    t.observeAnomaly('web-1', 0);
    t.observeAnomaly('web-1', 30 * S);
    expect(t.check('web-1', 30 * S)).toEqual({ ok: true, detail: '2 anomalies over 30s' });
  });

  it('observeAnomaly - a gap longer than episodeGap starts a new episode', () => {
    const t = new StabilisationTracker(settings);
    t.observeAnomaly('web-1', 0);
    t.observeAnomaly('web-1', 10 * S);
    t.observeAnomaly('web-1', 71 * S);
    expect(t.check('web-1', 71 * S)).toEqual({ ok: false, detail: '1 anomaly over 0s; need 3 in a row or 30s' });
  });

  it('check - flapping: anomalous again within the flap window after a recovery', () => {
    const t = new StabilisationTracker(settings);
    for (let i = 0; i < 3; i++) t.observeAnomaly('web-1', i * S);
    t.observeRecovery('web-1', 100 * S);
    expect(t.check('web-1', 101 * S).detail).toBe('no current anomaly observed for this component');
    for (let i = 0; i < 3; i++) t.observeAnomaly('web-1', (110 + i) * S);
    expect(t.check('web-1', 112 * S)).toEqual({
      ok: false,
      detail: 'flapping: recovered 12s ago and anomalous again; no automatic action for 4m48s',
    });
    for (let i = 0; i < 6; i++) t.observeAnomaly('web-1', (150 + i * 50) * S);
    expect(t.check('web-1', 400 * S).ok).toBe(true);
  });

  it('check - both thresholds 0 disable the persistence check but not flapping', () => {
    const t = new StabilisationTracker({ ...settings, minConsecutive: 0, minPersistMs: 0 });
    expect(t.check('web-1', 0).ok).toBe(true);
    t.observeRecovery('web-1', 0);
    t.observeAnomaly('web-1', S);
    expect(t.check('web-1', S).ok).toBe(false);
  });

  it('components - are independent', () => {
    const t = new StabilisationTracker({ ...settings, minConsecutive: 1 });
    t.observeAnomaly('web-1', 0);
    expect(t.check('web-1', 0).ok).toBe(true);
    expect(t.check('web-2', 0).ok).toBe(false);
  });
});

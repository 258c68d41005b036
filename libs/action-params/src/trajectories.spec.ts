import { ActionResult, ActionStatus, Outcome, Severity, Verdict } from '@x0/contracts';
import { encodeFeatures, gridOf, strengthOf, valueOf } from './action-space';
import { trainingRows, trajectoriesFromEvents } from './trajectories';

const action = (id: string, name: string, params: Record<string, string>, extra: Partial<ActionResult> = {}) =>
  ActionResult.fromPartial({ meta: { id, component: 'web-1', timeMs: 1 }, planId: 'pl', action: name, params, status: ActionStatus.ACTION_STATUS_SUCCEEDED, ...extra });
const outcome = (actionId: string, verdict: Verdict, ttr = 0) =>
  Outcome.fromPartial({
    meta: { id: `o-${actionId}`, component: 'web-1', timeMs: 2 },
    actionId,
    verdict,
    recovered: verdict === Verdict.VERDICT_RECOVERED,
    timeToRecoverMs: ttr,
    incident: { anomalyId: 'an', score: 0.9, severity: Severity.SEVERITY_HIGH },
  });

describe('action space', () => {
  it('grid - mildest first, in both directions', () => {
    expect(gridOf('scale_up')).toEqual([1, 2, 3, 4, 5]);
    expect(gridOf('throttle').slice(0, 3)).toEqual([95, 90, 85]);
    expect(strengthOf('scale_up', 1)).toBe(0);
    expect(strengthOf('throttle', 40)).toBe(1);
    expect(valueOf('throttle', strengthOf('throttle', 70))).toBe(70);
    expect(valueOf('scale_up', 0.49)).toBe(3);
  });

  it('encode - rejects what the model cannot read, naming the field', () => {
    expect(() => encodeFeatures('restart', { score: 0.5, severity: 1 }, 0)).toThrow("'action' has no tunable parameters (known: scale_up, throttle), got \"restart\"");
    expect(() => encodeFeatures('scale_up', { score: 1.5, severity: 1 }, 0)).toThrow("'score' must be in [0, 1], got 1.5");
    expect(encodeFeatures('throttle', { score: 0.5, severity: 3 }, 0.25)).toEqual([0, 1, 0.5, 1, 0.25]);
  });
});

describe('trajectories', () => {
  it('join - outcomes meet their action params; dry runs, failed actions and unverified outcomes are left out', () => {
    const actions = [
      action('a1', 'scale_up', { delta: '2' }),
      action('a2', 'scale_up', { delta: '3' }, { dryRun: true }),
      action('a3', 'throttle', { rate_percent: '70' }, { status: ActionStatus.ACTION_STATUS_FAILED }),
      action('a4', 'restart', {}),
      action('a5', 'throttle', { rate_percent: 'lots' }),
      action('a6', 'throttle', { rate_percent: '60' }),
    ];
    const outcomes = [
      outcome('a1', Verdict.VERDICT_RECOVERED, 4000),
      outcome('a2', Verdict.VERDICT_RECOVERED),
      outcome('a3', Verdict.VERDICT_NOT_RECOVERED),
      outcome('a4', Verdict.VERDICT_RECOVERED),
      outcome('a5', Verdict.VERDICT_RECOVERED),
      outcome('a6', Verdict.VERDICT_NOT_RECOVERED),
      outcome('missing', Verdict.VERDICT_RECOVERED),
      outcome('a1', Verdict.VERDICT_DRY_RUN),
    ];
    const t = trajectoriesFromEvents(actions, outcomes);
    expect(t).toEqual([
      { component: 'web-1', action: 'scale_up', value: 2, score: 0.9, severity: 3, recovered: true, timeToRecoverMs: 4000, timeMs: 2 },
      { component: 'web-1', action: 'throttle', value: 60, score: 0.9, severity: 3, recovered: false, timeToRecoverMs: 0, timeMs: 2 },
    ]);
  });

  it('rows - a recovery implies recoveries at stronger values, a failure failures at milder ones', () => {
    const base = { component: 'c', score: 0.5, severity: 2, timeToRecoverMs: 0, timeMs: 0 };
    const ok = trainingRows([{ ...base, action: 'scale_up', value: 3, recovered: true }]);
    expect(ok.x.map((r) => r[4])).toEqual([0.5, 0.75, 1]);
    expect(ok.y).toEqual([1, 1, 1]);
    const bad = trainingRows([{ ...base, action: 'scale_up', value: 3, recovered: false }]);
    expect(bad.x.map((r) => r[4])).toEqual([0.5, 0, 0.25]);
    expect(bad.y).toEqual([0, 0, 0]);
    expect(trainingRows([{ ...base, action: 'scale_up', value: 3, recovered: false }], false).y).toEqual([0]);
  });
});

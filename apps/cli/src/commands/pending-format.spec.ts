import { toRecord } from '@x0/client';
import { Anomaly, EVENT_CODECS, Outcome, Severity, Verdict, eventSubject } from '@x0/contracts';
import { meanwhile } from './pending-format';

let seq = 0;
const meta = (id: string, t: number, component = 'demo-queue') => ({ id, parentId: 'x', component, timeMs: t, source: 'test' });
const anomaly = (id: string, t: number, component = 'demo-queue') =>
  toRecord({ subject: eventSubject('anomaly', component), data: EVENT_CODECS.anomaly.encode(Anomaly.fromPartial({ meta: meta(id, t, component), severity: Severity.SEVERITY_HIGH })), seq: ++seq })!;
const outcome = (id: string, t: number, action: string, verdict: Verdict, planId = 'pl_x', component = 'demo-queue') =>
  toRecord({
    subject: eventSubject('outcome', component),
    data: EVENT_CODECS.outcome.encode(Outcome.fromPartial({ meta: meta(id, t, component), incident: { component, action, planId }, verdict, recovered: verdict === Verdict.VERDICT_RECOVERED })),
    seq: ++seq,
  })!;

describe('x0 pending - SINCE THEN', () => {
  const t0 = Date.UTC(2026, 10, 27, 18, 41, 21);
  const pending = [{ planId: 'pl_failover', component: 'demo-queue', requestedMs: t0 }];

  it('a lasting incident: how often it was re-announced since the plan was put to an operator, and what the loop tried meanwhile', () => {
    const records = [
      anomaly('an_0', t0 - 10), // the announcement the plan answers
      anomaly('an_1', t0 + 30_000),
      outcome('oc_1', t0 + 60_000, 'throttle', Verdict.VERDICT_NOT_RECOVERED),
      anomaly('an_2', t0 + 60_000),
      outcome('oc_2', t0 + 120_000, 'throttle', Verdict.VERDICT_NOT_RECOVERED),
      anomaly('an_3', t0 + 180_000),
      outcome('oc_3', t0 + 180_000, 'throttle', Verdict.VERDICT_NOT_RECOVERED),
      anomaly('an_other', t0 + 200_000, 'demo-web'),
      outcome('oc_other', t0 + 200_000, 'scale_up', Verdict.VERDICT_RECOVERED, 'pl_y', 'demo-web'),
    ];
    expect(meanwhile(pending, records, t0 + 192_000).get('pl_failover')).toBe('re-announced 3×, last 12s ago; throttle not recovered ×3');
  });

  it('a recovery meanwhile is shown (the approval may no longer be needed); nothing since then is "-"', () => {
    const records = [outcome('oc_1', t0 + 40_000, 'throttle', Verdict.VERDICT_RECOVERED)];
    expect(meanwhile(pending, records, t0 + 60_000).get('pl_failover')).toBe('throttle recovered');
    expect(meanwhile(pending, [anomaly('an_0', t0 - 10)], t0 + 60_000).get('pl_failover')).toBe('-');
  });
});

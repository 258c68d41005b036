import { toRecord } from '@x0/client';
import { ActionResult, ActionStatus, Anomaly, Diagnosis, EVENT_CODECS, Outcome, Plan, PlanStatus, Severity, Verdict, eventSubject, type EventType } from '@x0/contracts';
import { formatStory, groupIncidents, storiesFooter, verdictOf } from './audit-story';

let seq = 0;
const rec = <K extends EventType>(type: K, e: Parameters<(typeof EVENT_CODECS)[K]['encode']>[0]) => {
  const meta = (e as { meta?: { component: string } }).meta!;
  return toRecord({ subject: eventSubject(type, meta.component), data: (EVENT_CODECS[type].encode as (x: unknown) => Uint8Array)(e), seq: ++seq })!;
};
const meta = (id: string, parentId: string, t: number, component = 'web-1') => ({ id, parentId, component, timeMs: t, source: 'test' });
const inc = (anomalyId: string) => ({ anomalyId, component: 'web-1', kind: 'web', severity: Severity.SEVERITY_HIGH, cause: 'cpu_saturation' });

describe('audit story', () => {
  const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const records = [
    rec('outcome', Outcome.fromPartial({ meta: meta('oc_1', 'ac_1', t0 + 9000), incident: { ...inc('an_1'), action: 'scale_up' }, actionId: 'ac_1', verdict: Verdict.VERDICT_RECOVERED, recovered: true, timeToRecoverMs: 3200 })),
    rec('anomaly', Anomaly.fromPartial({ meta: meta('an_1', 'mb_1', t0), score: 0.9, severity: Severity.SEVERITY_HIGH, kind: 'web' })),
    rec('diagnosis', Diagnosis.fromPartial({ meta: meta('dg_1', 'an_1', t0 + 100), incident: inc('an_1'), probableCause: 'cpu_saturation', confidence: 0.8, summary: 'cpu' })),
    rec(
      'plan',
      Plan.fromPartial({
        meta: meta('pl_1', 'dg_1', t0 + 200),
        incident: inc('an_1'),
        status: PlanStatus.PLAN_STATUS_DISPATCH,
        policyId: 'cpu-scale-up',
        action: 'scale_up',
        explanation: {
          summary: 'chose scale_up',
          ranking: [
            { policyId: 'cpu-scale-up', action: 'scale_up', score: 0.49, successRate: 0.5, priority: 0.8, recency: 0 },
            { policyId: 'cpu-throttle', action: 'throttle', score: 0.4, successRate: 0.5, priority: 0.5, recency: 0, rejectedBecause: 'lower score than cpu-scale-up' },
          ],
          guardrails: ['dry_run: off', 'cooldown: ok', 'approval: ok — risk low'],
        },
      }),
    ),
    rec('action', ActionResult.fromPartial({ meta: meta('ac_1', 'pl_1', t0 + 300), incident: inc('an_1'), planId: 'pl_1', action: 'scale_up', executor: 'agent', status: ActionStatus.ACTION_STATUS_SUCCEEDED })),
    rec('plan', Plan.fromPartial({ meta: meta('pl_2', 'dg_2', t0 + 5000, 'db-1'), incident: { ...inc('an_2'), component: 'db-1', kind: 'db' }, status: PlanStatus.PLAN_STATUS_BLOCKED, action: 'failover', explanation: { summary: 'blocked: failover', guardrails: ['cooldown: ok', 'rate_limit(global): blocked — 20 actions in 1m, limit 20'] } })),
  ];

  it('groupIncidents - by anomaly id, in time order; incidents by their first event', () => {
    const stories = groupIncidents(records);
    expect(stories.map((s) => [s.anomalyId, s.component, s.kind, s.events.map((e) => e.type)])).toEqual([
      ['an_1', 'web-1', 'web', ['anomaly', 'diagnosis', 'plan', 'action', 'outcome']],
      ['an_2', 'db-1', 'db', ['plan']],
    ]);
    expect(verdictOf(stories[0])).toBe('recovered in 3.2 s after scale_up');
    expect(verdictOf(stories[1])).toBe('blocked failover');
  });

  it('formatStory - each event on a line, the plan with its ranking and the guards that did not pass', () => {
    const [one, two] = groupIncidents(records);
    const text = formatStory(one);
    expect(text.split('\n')[0]).toBe('incident an_1 on web-1 (web), 2026-01-01 12:00:00: recovered in 3.2 s after scale_up');
    expect(text).toContain('why   #1 scale_up (cpu-scale-up) score 0.490 = 0.5·0.500 + 0.3·0.800 + 0.2·0.000');
    expect(text).toContain('#2 throttle (cpu-throttle) score 0.400 = 0.5·0.500 + 0.3·0.500 + 0.2·0.000 — lower score than cpu-scale-up');
    expect(text).not.toContain('cooldown: ok');
    expect(formatStory(one, { verbose: true })).toContain('guard   cooldown: ok');
    const blocked = formatStory(two);
    expect(blocked).toContain('guard   rate_limit(global): blocked — 20 actions in 1m, limit 20');
    expect(blocked).toContain('(the anomaly is older than the time range)');
  });

  it('formatStory - a re-announcement is headed as the announcement of its incident, not as an incident of its own', () => {
    const t1 = Date.UTC(2026, 0, 1, 12, 0, 30);
    const again = { ...inc('an_7'), incidentId: 'an_1', incidentStartMs: t0, announcement: 2 };
    const story = groupIncidents([
      rec('anomaly', Anomaly.fromPartial({ meta: meta('an_7', 'mb_7', t1), score: 0.9, severity: Severity.SEVERITY_HIGH, kind: 'web', incidentId: 'an_1', incidentStartMs: t0, announcement: 2 })),
      rec('plan', Plan.fromPartial({ meta: meta('pl_7', 'dg_7', t1 + 100), incident: again, status: PlanStatus.PLAN_STATUS_NO_ACTION, explanation: { summary: 'no action: nothing left to try on incident an_1' } })),
    ]);
    expect(story.map((s) => [s.anomalyId, s.incidentId, s.announcement])).toEqual([['an_7', 'an_1', 2]]);
    expect(formatStory(story[0]).split('\n')[0]).toBe('incident an_1, announcement 2 (an_7) on web-1 (web), 2026-01-01 12:00:30: no action');
    // Only the plan, its anomaly out of range: the incident is read from the plan's context.
    const planOnly = groupIncidents([rec('plan', Plan.fromPartial({ meta: meta('pl_8', 'dg_8', t1), incident: { ...again, anomalyId: 'an_8', announcement: 3 }, status: PlanStatus.PLAN_STATUS_NO_ACTION }))]);
    expect(formatStory(planOnly[0]).split('\n')[0]).toMatch(/^incident an_1, announcement 3 \(an_8\) on web-1/);
    expect(storiesFooter([...groupIncidents(records), ...story, ...planOnly], '1h')).toBe('2 incident(s) (4 announcement(s)) in the last 1h');
    expect(storiesFooter(groupIncidents(records), '1h')).toBe('2 incident(s) in the last 1h');
    // The opening announcement reads as before.
    expect(formatStory(groupIncidents(records)[0]).split('\n')[0]).toMatch(/^incident an_1 on web-1 /);
  });
});

import { Anomaly, EVENT_CODECS, MODEL_EVENT_CODEC, MODELS_UPDATED_SUBJECT, ModelEvent, Plan, PlanStatus, Severity, eventSubject } from '@x0/contracts';
import { formatEvent, summarize, toRecord } from './event-feed';

const blocked = (guardrails: string[]) =>
  Plan.fromPartial({
    meta: { id: 'pl_1', parentId: 'dg_1', component: 'db-1', timeMs: Date.UTC(2026, 0, 1, 12), source: 'plan' },
    status: PlanStatus.PLAN_STATUS_BLOCKED,
    action: 'failover',
    policyId: 'dependency-failover',
    explanation: { summary: 'blocked: failover (dependency-failover) on db-1 stopped by guardrails; chose failover (dependency-failover): score 0.61', guardrails },
  });

describe('event summaries', () => {
  it('anomaly - a re-announcement names the incident it continues, its announcement and how long it has been open; the first does not', () => {
    const t0 = Date.UTC(2026, 0, 1, 12);
    const a = (timeMs: number, announcement: number) =>
      Anomaly.fromPartial({
        meta: { id: `an_${announcement}`, component: 'db-1', timeMs, source: 'monitor' },
        severity: Severity.SEVERITY_HIGH,
        score: 0.93,
        metrics: [{ metric: 'error_rate', value: 0.41, expected: 0.005, score: 1 }],
        incidentId: 'an_1',
        incidentStartMs: t0,
        announcement,
      });
    expect(summarize('anomaly', a(t0, 1))).toBe('high anomaly score=0.93 error_rate=0.410 (expected 0.00500)');
    expect(summarize('anomaly', a(t0 + 45_000, 2))).toBe('high anomaly score=0.93 error_rate=0.410 (expected 0.00500) — still open: incident an_1, announcement 2, open 45s');
    expect(summarize('anomaly', a(t0 + 785_000, 14))).toBe('high anomaly score=0.93 error_rate=0.410 (expected 0.00500) — still open: incident an_1, announcement 14, open 13m05s');
  });

  it('blocked plan - the line names the guardrail that stopped it and why', () => {
    const p = blocked(['cooldown: ok', 'stabilisation: blocked — 1 anomaly over 0s; need 2 in a row', 'flapping: ok']);
    expect(summarize('plan', p)).toBe('blocked failover (policy dependency-failover) — stopped by stabilisation: 1 anomaly over 0s; need 2 in a row');
    const line = formatEvent(toRecord({ subject: eventSubject('plan', 'db-1'), data: EVENT_CODECS.plan.encode(p), seq: 1 })!);
    expect(line).toBe('12:00:00.000 plan      db-1           blocked failover (policy dependency-failover) — stopped by stabilisation: 1 anomaly over 0s; need 2 in a row  [pl_1 ← dg_1]');
  });

  it('blocked plan - the alternatives that were blocked too are named, each with what stopped it', () => {
    const p = Plan.fromPartial({
      ...blocked(['cooldown: ok', 'approval: blocked — failover on db-1 was put to an operator 1m ago and is not finished']),
      explanation: {
        summary: 'blocked: failover (dependency-failover) on db-1 stopped by guardrails',
        guardrails: ['cooldown: ok', 'approval: blocked — failover on db-1 was put to an operator 1m ago and is not finished'],
        ranking: [
          { policyId: 'dependency-failover', action: 'failover', rejectedBecause: 'blocked: approval — failover on db-1 was put to an operator 1m ago and is not finished' },
          { policyId: 'dependency-throttle', action: 'throttle', rejectedBecause: 'blocked: circuit_breaker(policy dependency-throttle) — open after 3 consecutive failed outcomes; half-open in 9m30s' },
        ],
      },
    });
    expect(summarize('plan', p)).toBe(
      'blocked failover (policy dependency-failover) — stopped by approval: failover on db-1 was put to an operator 1m ago and is not finished; also blocked: throttle (dependency-throttle) by circuit_breaker(policy dependency-throttle) — open after 3 consecutive failed outcomes; half-open in 9m30s',
    );
  });

  it('blocked plan - the alternatives passed over for this incident are named in words (already tried, rejected by an operator)', () => {
    const approvalLine = 'approval: blocked — failover on demo-queue was put to an operator 1m ago and is not finished';
    const p = Plan.fromPartial({
      ...blocked(['cooldown: ok', approvalLine]),
      explanation: {
        summary: 'blocked: failover (dependency-failover) on demo-queue stopped by guardrails; not chosen again: throttle already tried on this incident ×3 (not recovered)',
        guardrails: ['cooldown: ok', approvalLine],
        ranking: [
          { policyId: 'dependency-throttle', action: 'throttle', rejectedBecause: 'throttle already tried on this incident ×3 (not recovered)' },
          { policyId: 'dependency-restart', action: 'restart', rejectedBecause: 'restart rejected by alice on this incident 3m ago (pl_1; not asked again)' },
          { policyId: 'dependency-failover', action: 'failover', rejectedBecause: `blocked: ${approvalLine.replace('approval: blocked', 'approval')}` },
          { policyId: 'dependency-scale', action: 'scale_up', rejectedBecause: 'blocked: cooldown — scale_up on demo-queue 30s ago, cooldown 2m' },
        ],
      },
    });
    expect(summarize('plan', p)).toBe(
      'blocked failover (policy dependency-failover) — stopped by approval: failover on demo-queue was put to an operator 1m ago and is not finished; also blocked: scale_up (dependency-scale) by cooldown — scale_up on demo-queue 30s ago, cooldown 2m; not again: throttle (already tried on this incident ×3, not recovered) | restart (rejected by alice on this incident 3m ago)',
    );
  });

  it('no-action plan - the status is not said twice ("no action — no action: …")', () => {
    const p = Plan.fromPartial({
      meta: { id: 'pl_2', parentId: 'dg_2', component: 'db-1', timeMs: Date.UTC(2026, 0, 1, 12), source: 'plan' },
      status: PlanStatus.PLAN_STATUS_NO_ACTION,
      explanation: { summary: 'no action: nothing left to try on incident an_1 — every applicable action already failed on it: throttle already tried on this incident ×1 (not recovered)' },
    });
    expect(summarize('plan', p)).toBe('no action — nothing left to try on incident an_1 — every applicable action already failed on it: throttle already tried on this incident ×1 (not recovered)');
    const none = Plan.fromPartial({ ...p, explanation: { summary: 'no action: none of 2 policies apply to db-1' } });
    expect(summarize('plan', none)).toBe('no action — none of 2 policies apply to db-1');
  });

  it('blocked plan - several guardrails are all named', () => {
    const p = blocked(['rate_limit(component): blocked — 1 actions in 1m, limit 1; next slot in 1m', 'flapping: blocked — 4 incidents in 10m', 'maintenance: blocked']);
    expect(summarize('plan', p)).toBe(
      'blocked failover (policy dependency-failover) — stopped by rate_limit(component): 1 actions in 1m, limit 1; next slot in 1m | flapping: 4 incidents in 10m | maintenance',
    );
  });

  it('blocked plan without guardrail lines, and other plans - the summary as before', () => {
    expect(summarize('plan', blocked([]))).toMatch(/ — blocked: failover \(dependency-failover\) on db-1 stopped by guardrails; chose/);
    const dispatched = Plan.fromPartial({ ...blocked(['cooldown: ok']), status: PlanStatus.PLAN_STATUS_DISPATCH, explanation: { summary: 'chose failover', guardrails: ['cooldown: ok'] } });
    expect(summarize('plan', dispatched)).toBe('dispatch failover (policy dependency-failover) — chose failover');
  });

  it('model event - an alias move says from → to, how, by whom and why; a registration as before', () => {
    const line = (e: Partial<ModelEvent>) =>
      toRecord({ subject: MODELS_UPDATED_SUBJECT, data: MODEL_EVENT_CODEC.encode(ModelEvent.fromPartial({ meta: { id: 'mdl_1' }, model: 'detector', ...e })), seq: 1 })!.summary;
    const move = { type: 'alias_changed', alias: 'champion', version: '2', previousVersion: '3' };
    expect(line({ ...move, change: 'rollback', actor: 'alice', reason: 'accuracy low on 3' })).toBe('model detector champion 3 → 2 (rollback by alice: accuracy low on 3)');
    expect(line({ ...move, change: 'promote', reason: 'shadow evaluation: beats 3' })).toBe('model detector champion 3 → 2 (promote: shadow evaluation: beats 3)');
    expect(line({ ...move, change: 'promote', actor: 'bob' })).toBe('model detector champion 3 → 2 (promote by bob)');
    expect(line({ ...move, previousVersion: '' })).toBe('model detector champion → 2');
    expect(line({ type: 'registered', version: '4', previousVersion: '3' })).toBe('model detector registered 4');
  });
});

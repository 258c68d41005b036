import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { deriveId } from '@x0/core';
import { connectBus, type Bus } from '@x0/bus';
import { readDeadLetters, startNatsServer } from '@x0/bus/testing';
import {
  Approval,
  Outcome,
  PlanStatus,
  PlannerServiceClient,
  Severity,
  Verdict,
  type Explanation,
  type Plan,
  type Policy as PolicyProto,
  type RankRequest,
  type SetPolicyEnabledRequest,
  type UpsertPolicyRequest,
  type Statistics,
} from '@x0/contracts';
import { ComponentActionsStore } from '@x0/component-actions';
import { PolicyStatsStore } from '@x0/policy-stats';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { planService } from './plan-service';
import { PLANS_BUCKET } from './plan-store';
import { call, planTestBed, startPlanService, type PlanTestBed } from './plan-harness';
import { makeDiagnosis, publishEvent, readEvents, waitFor } from './testing';

const POLICIES = `
version: 1
defaults: { executor: agent, cooldown_s: 0 }
policies:
  - id: cpu-scale-up
    action: scale_up
    params: { delta: 1 }
    priority: 80
    conditions: { causes: [cpu_saturation] }
  - id: cpu-throttle
    action: throttle
    priority: 50
    conditions: { causes: [cpu_saturation] }
  - id: db-failover
    action: failover
    priority: 90
    risk: high
    conditions: { causes: [dependency_down] }
`;

describe('plan service', () => {
  let bed: PlanTestBed;
  let bus: Bus;
  let handle: ServiceHandle;
  let client: PlannerServiceClient;
  let dir: string;
  const rank = (req: Partial<RankRequest>) => call<RankRequest, Explanation>(client, client.rank, { component: '', kind: '', severity: Severity.SEVERITY_HIGH, cause: '', candidates: [], ...req });
  const stats = () => call<object, Statistics>(client, client.getStatistics, {});
  /** The plan service's dead letter of the input published on `subject`. */
  const deadLetterOf = (subject: string) =>
    waitFor(async () => (await readDeadLetters(bus, 'plan')).find((l) => l.subject === subject), 10_000, `the dead letter of ${subject}`);
  const planFor = async (diagnosisId: string) => waitFor(async () => (await readEvents(bus, 'plan')).find((p) => p.meta!.parentId === diagnosisId), 10_000, `plan of ${diagnosisId}`);
  /** The Approval event `id` deciding `plan`, as execute publishes it. */
  const decided = (plan: Plan, id: string, decision: string, actor: string, source = 'execute') =>
    Approval.fromPartial({ meta: { id, parentId: plan.meta!.id, component: plan.meta!.component, timeMs: Date.now(), source }, incident: plan.incident, planId: plan.meta!.id, decision, actor });

  beforeAll(async () => {
    // Blast radius: one web component in flight at a time; no flap window, so the test is about one guard at a time.
    bed = await planTestBed('plan', { policies: POLICIES, guardrails: 'blastRadius: { maxPerGroup: 1 }\nstabilisation: { flapWindowS: 0 }\n' });
    ({ bus, dir } = bed);
    await startPlan();
  });

  async function startPlan(extra: Record<string, string> = {}) {
    ({ handle, client } = await startPlanService(bed, { PLAN_STATS_DEBOUNCE_MS: '20', ...extra }));
  }

  async function restartPlan(extra: Record<string, string> = {}) {
    client.close();
    await handle.stop();
    await startPlan(extra);
  }

  afterAll(async () => {
    client?.close();
    await handle?.stop();
    await bed?.close();
  });

  it('diagnosis → plan - dispatch with an explanation, ids chained, incident enriched; Explain returns it', async () => {
    const d = makeDiagnosis('web-1', { candidates: [{ action: 'throttle', similarIncidents: 4, successes: 1, support: 0.8, rationale: 'worked on 1 of 4' }] });
    await publishEvent(bus, 'diagnosis', d);
    const plan = await planFor(d.meta!.id);
    const anomalyId = d.incident!.anomalyId;
    expect(plan.meta).toMatchObject({ id: deriveId('pl', d.meta!.id), parentId: d.meta!.id, component: 'web-1', source: 'plan' });
    expect(plan).toMatchObject({
      status: PlanStatus.PLAN_STATUS_DISPATCH,
      policyId: 'cpu-scale-up',
      action: 'scale_up',
      params: { delta: '1' },
      executor: 'agent',
      dryRun: false,
      idempotencyKey: `${anomalyId}:scale_up`,
    });
    expect(plan.incident).toMatchObject({ anomalyId, diagnosisId: d.meta!.id, planId: plan.meta!.id, policyId: 'cpu-scale-up', action: 'scale_up', cause: 'cpu_saturation' });
    const e = plan.explanation!;
    expect(e.summary).toMatch(/^chose scale_up \(cpu-scale-up\): 0\.\d{3} = 0\.5·0\.500 success \+ 0\.3·0\.800 priority \+ 0\.2·0\.000 recency; 1 alternative$/);
    expect(e.ranking.map((r) => [r.policyId, r.rejectedBecause])).toEqual([
      ['cpu-scale-up', ''],
      ['cpu-throttle', 'lower score than cpu-scale-up'],
    ]);
    // throttle's evidence (1 of 4 similar incidents recovered) lowered its success rate.
    expect(e.ranking[1]).toMatchObject({ priority: 0.5, recency: 0 });
    expect(e.ranking[1].evidence).toBeLessThan(0);
    expect(e.guardrails).toEqual(expect.arrayContaining(['dry_run: off', 'cooldown: ok', 'approval: ok — risk low']));
    expect(e.guardrails.find((l) => l.startsWith('stabilisation:'))).toBe('stabilisation: ok — 1 anomaly over 0s');
    expect(e.evidence[0]).toBe('diagnosis: web-1 (web), severity high, cause cpu_saturation (confidence 0.800)');
    expect(e.evidence).toContain('not applicable: db-failover (failover) — cause cpu_saturation not in [dependency_down]');

    expect(await call(client, client.explain, { planId: plan.meta!.id })).toEqual(plan);
    const err = await call(client, client.explain, { planId: 'pl_nope' }).catch((x: grpc.ServiceError) => x);
    expect(err).toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: "plan 'pl_nope' not found: plans are kept for 7 days (PLAN_EXPLAIN_TTL_S); x0 audit shows an older plan's explanation from the event log",
    });
  });

  it('guardrails - blast radius blocks a second web component until the first one’s outcome; blocked plans are published', async () => {
    // web-1 still has its scale_up in flight from the previous test.
    const d2 = makeDiagnosis('web-2');
    await publishEvent(bus, 'diagnosis', d2);
    const blocked = await planFor(d2.meta!.id);
    expect(blocked.status).toBe(PlanStatus.PLAN_STATUS_BLOCKED);
    expect(blocked.idempotencyKey).toBe('');
    expect(blocked.explanation!.summary).toMatch(/^blocked: scale_up \(cpu-scale-up\) on web-2 stopped by guardrails/);
    expect(blocked.explanation!.guardrails).toContain('blast_radius(web): blocked — 1 of 2 web components in flight, limit 1');
    // A what-if without a kind answers as a diagnosis of web-2 would: with the kind its diagnoses gave.
    const whatIf = await rank({ component: 'web-2', cause: 'cpu_saturation' });
    expect(whatIf.summary).toMatch(/^what-if \(nothing done\): would block scale_up; /);
    expect(whatIf.guardrails).toContain('blast_radius(web): blocked — 1 of 2 web components in flight, limit 1');
    const badName = await rank({ component: 'web.2', cause: 'cpu_saturation' }).catch((e: grpc.ServiceError) => e);
    expect(badName).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: `'component' must be a component name (no spaces, '.', '*' or '>'), got "web.2"` });
    const typo = await rank({ component: 'web-2', cause: 'cpu_saturaton' }).catch((e: grpc.ServiceError) => e);
    expect(typo).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect((typo as grpc.ServiceError).details).toMatch(/^'cause' is 'cpu_saturaton', not a known cause: did you mean cpu_saturation\? \(known: /);

    const first = (await readEvents(bus, 'plan', 'web-1'))[0];
    await publishEvent(
      bus,
      'outcome',
      Outcome.fromPartial({
        meta: { id: 'oc_web1', parentId: 'ac_web1', component: 'web-1', timeMs: Date.now(), source: 'execute' },
        incident: first.incident,
        actionId: 'ac_web1',
        verdict: Verdict.VERDICT_RECOVERED,
        recovered: true,
        timeToRecoverMs: 1200,
      }),
    );
    await waitFor(async () => {
      const r = await rank({ component: 'web-2', kind: 'web', cause: 'cpu_saturation' });
      return r.guardrails.some((l) => l.startsWith('blast_radius(web): ok')) || undefined;
    }, 10_000, 'the outcome to free the web slot');
    const d3 = makeDiagnosis('web-2');
    await publishEvent(bus, 'diagnosis', d3);
    const plan3 = await planFor(d3.meta!.id);
    expect(plan3.status).toBe(PlanStatus.PLAN_STATUS_DISPATCH);
    expect(plan3.action).toBe('scale_up');
  });

  it('approval - a high-risk action waits for approval; a rejection frees its slot', async () => {
    const d = makeDiagnosis('db-1', { kind: 'db', cause: 'dependency_down' });
    await publishEvent(bus, 'diagnosis', d);
    const plan = await planFor(d.meta!.id);
    expect(plan).toMatchObject({ status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, action: 'failover', idempotencyKey: `${d.incident!.anomalyId}:failover` });
    expect(plan.explanation!.guardrails).toContain('approval: needs_approval — risk high ≥ high; expires in 15m');

    const d2 = makeDiagnosis('db-2', { kind: 'db', cause: 'dependency_down' });
    await publishEvent(bus, 'diagnosis', d2);
    expect((await planFor(d2.meta!.id)).status).toBe(PlanStatus.PLAN_STATUS_BLOCKED);

    // An Approval whose decision is none of approved/rejected/expired is dead-lettered; it frees nothing.
    await publishEvent(bus, 'approval', decided(plan, 'ap_db1_bogus', 'maybe', 'mallory', 'test'));
    const letter = await deadLetterOf('x0.events.approval.db-1');
    expect(letter).toMatchObject({ kind: 'rejected', reason: `'decision' must be approved, rejected, expired or withdrawn, got "maybe"` });
    const held = await rank({ component: 'db-2', kind: 'db', cause: 'dependency_down' });
    expect(held.guardrails.find((l) => l.startsWith('blast_radius'))).toMatch(/^blast_radius\(db\): blocked/);
    expect((await call<{ planId: string }, Plan>(client, client.explain, { planId: plan.meta!.id })).approval).toBeUndefined();

    await publishEvent(bus, 'approval', decided(plan, 'ap_db1', 'rejected', 'alice'));
    const after = await waitFor(async () => {
      const r = await rank({ component: 'db-2', kind: 'db', cause: 'dependency_down' });
      return r.summary.includes('would hold failover for approval') ? r : undefined;
    }, 10_000, 'the rejection to free the db slot');
    expect(after.guardrails.find((l) => l.startsWith('blast_radius'))).toMatch(/^blast_radius\(db\): ok/);
  });

  it('approval - a late expiry of an earlier plan does not free the slot of a newer plan awaiting approval for the same action', async () => {
    const expired = (plan: Plan, id: string) => decided(plan, id, 'expired', 'system');
    const diagnose = async () => {
      const d = makeDiagnosis('store-1', { kind: 'store', cause: 'dependency_down' });
      await publishEvent(bus, 'diagnosis', d);
      return planFor(d.meta!.id);
    };
    const p1 = await diagnose();
    expect(p1).toMatchObject({ status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, action: 'failover' });
    await publishEvent(bus, 'approval', expired(p1, 'ap_store1'));
    await waitFor(async () => (await rank({ component: 'store-1', kind: 'store', cause: 'dependency_down' })).summary.includes('would hold failover for approval') || undefined, 10_000, "p1's expiry to free its slot");
    const p2 = await diagnose();
    expect(p2).toMatchObject({ status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, action: 'failover' });

    // p1's expiry once more (delivered late, or published again) while p2 waits for an operator.
    const s0 = await stats();
    await publishEvent(bus, 'approval', expired(p1, 'ap_store1-again'));
    // latency.count: messages handled (messagesIn counts them on receipt).
    await waitFor(async () => ((await stats()).latency!.count > s0.latency!.count ? true : undefined), 10_000, 'the late approval handled');
    const p3 = await diagnose();
    expect(p3.status).toBe(PlanStatus.PLAN_STATUS_BLOCKED);
    expect(p3.explanation!.guardrails.find((l) => l.startsWith('approval:'))).toMatch(/^approval: blocked — failover on store-1 was put to an operator \S+ ago and is not finished$/);
    expect((await readEvents(bus, 'plan', 'store-1')).filter((p: Plan) => p.status === PlanStatus.PLAN_STATUS_PENDING_APPROVAL).map((p: Plan) => p.meta!.id)).toEqual([p1.meta!.id, p2.meta!.id]);
  });

  it('policies - listed from KV, validated upserts, enable/disable hot-reloads the engine', async () => {
    const { policies } = await call<object, { policies: PolicyProto[] }>(client, client.listPolicies, {});
    expect(policies.map((p) => p.id)).toEqual(['cpu-scale-up', 'cpu-throttle', 'db-failover']);
    expect(policies[0]).toMatchObject({ action: 'scale_up', priority: 80, risk: 'low', enabled: true, executor: 'agent', conditions: { component: '*', causes: ['cpu_saturation'] } });

    const bad = await call(client, client.upsertPolicy, { policy: { ...policies[0], priority: 120 } }).catch((x: grpc.ServiceError) => x);
    expect(bad).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "'policy.priority' must be ≤ 100" });
    // The values the policy file loader refuses, refused over gRPC too (they were stored before).
    const refusals: Array<[PolicyProto, string]> = [
      [{ ...policies[0], priority: 50.5 }, "'policy.priority' must be a whole number"],
      [{ ...policies[0], cooldownS: 1e12 }, "'policy.cooldown_s' must be ≤ 2592000 (30 days)"],
      [{ ...policies[0], conditions: { ...policies[0].conditions!, causes: ['cpu_saturaton'] } }, "'policy.conditions.causes[0]' is 'cpu_saturaton', not a known cause: did you mean cpu_saturation?"],
    ];
    for (const [policy, details] of refusals) {
      const refused = await call(client, client.upsertPolicy, { policy }).catch((x: grpc.ServiceError) => x);
      expect(refused).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      expect((refused as grpc.ServiceError).details).toContain(details);
    }
    const noPolicy = await call(client, client.upsertPolicy, { policy: undefined }).catch((x: grpc.ServiceError) => x);
    expect(noPolicy).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "'policy' is required" });
    const missing = await call(client, client.setPolicyEnabled, { id: 'nope', enabled: false }).catch((x: grpc.ServiceError) => x);
    expect(missing).toMatchObject({ code: grpc.status.NOT_FOUND, details: "policy 'nope' not found" });

    const off = await call<SetPolicyEnabledRequest, PolicyProto>(client, client.setPolicyEnabled, { id: 'cpu-scale-up', enabled: false });
    expect(off.enabled).toBe(false);
    const r = await waitFor(async () => {
      const x = await rank({ component: 'api-9', kind: 'api', cause: 'cpu_saturation' });
      return x.ranking[0]?.policyId === 'cpu-throttle' ? x : undefined;
    }, 10_000, 'disabled policy to leave the ranking');
    expect(r.evidence).toContain('not applicable: cpu-scale-up (scale_up) — disabled');

    const added = await call<UpsertPolicyRequest, PolicyProto>(client, client.upsertPolicy, {
      policy: { id: 'cpu-clear', action: 'clear_cache', params: {}, priority: 95, risk: '', cooldownS: 0, enabled: true, dryRun: true, description: '', executor: '', conditions: undefined },
    });
    expect(added).toMatchObject({ id: 'cpu-clear', risk: 'low', executor: 'agent', conditions: { component: '*', minSeverity: Severity.SEVERITY_LOW } });
    const r2 = await waitFor(async () => {
      const x = await rank({ component: 'api-9', kind: 'api', cause: 'cpu_saturation' });
      return x.ranking[0]?.policyId === 'cpu-clear' ? x : undefined;
    }, 10_000, 'the new policy to rank first');
    expect(r2.summary).toMatch(/^what-if \(nothing done\): would dispatch clear_cache \(dry run\); chose clear_cache/);
  });

  it('available actions - only what the component can do is ranked; nothing available → no action, saying why', async () => {
    const actions = await ComponentActionsStore.open(bus);
    await actions.put('web-5', { actions: ['throttle'], source: 'agent' });
    await actions.put('web-6', { actions: [], source: 'config' });
    const r = await waitFor(async () => {
      const x = await rank({ component: 'web-5', kind: 'web', cause: 'cpu_saturation' });
      return x.ranking.length === 1 ? x : undefined;
    }, 10_000, 'web-5 actions');
    expect(r.ranking[0].policyId).toBe('cpu-throttle');
    expect(r.evidence).toContain('available actions: throttle');

    const d = makeDiagnosis('web-6');
    await publishEvent(bus, 'diagnosis', d);
    const plan = await planFor(d.meta!.id);
    expect(plan.status).toBe(PlanStatus.PLAN_STATUS_NO_ACTION);
    expect(plan.explanation!.summary).toBe('no action: none of 4 policies apply to web-6 (2 action not available on web-6, 1 disabled, 1 other cause)');
  });

  it('statistics - tallies written by knowledge change the ranking; Rank changes no state', async () => {
    const tallies = await PolicyStatsStore.open(bus);
    const before = (await rank({ component: 'web-7', kind: 'web', cause: 'cpu_saturation' })).ranking.find((x) => x.policyId === 'cpu-throttle')!;
    for (let i = 0; i < 3; i++) await tallies.record({ policyId: 'cpu-throttle', action: 'throttle', component: 'web-7', recovered: true, timeMs: Date.now() });
    const after = await waitFor(async () => {
      const x = (await rank({ component: 'web-7', kind: 'web', cause: 'cpu_saturation' })).ranking.find((y) => y.policyId === 'cpu-throttle')!;
      return Math.abs(x.successRate - 4 / 5) < 1e-9 ? x : undefined;
    }, 10_000, 'statistics to reach the engine');
    expect(before.successRate).toBe(0.5);
    expect(after.recency).toBeGreaterThan(0.99);

    // Many what-ifs for one component: no rate limit or cooldown is consumed.
    for (let i = 0; i < 10; i++) await rank({ component: 'web-8', kind: 'web', cause: 'cpu_saturation' });
    const last = await rank({ component: 'web-8', kind: 'web', cause: 'cpu_saturation' });
    expect(last.guardrails.find((l) => l.startsWith('rate_limit(component)'))).toBe('rate_limit(component): ok — 0/5 in 5m');
    const bad = await rank({ component: 'web-8', severity: Severity.SEVERITY_UNSPECIFIED }).catch((x: grpc.ServiceError) => x);
    expect(bad).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "'severity' must be low, medium or high" });
  });

  it('input - a redelivered diagnosis is planned once; a stale one is not planned', async () => {
    const s0 = await stats();
    const d = makeDiagnosis('queue-1', { kind: 'queue' });
    await publishEvent(bus, 'diagnosis', d);
    await publishEvent(bus, 'diagnosis', d, `${d.meta!.id}-copy`);
    const stale = makeDiagnosis('queue-2', { kind: 'queue', timeMs: Date.now() - 3_600_000 });
    await publishEvent(bus, 'diagnosis', stale);
    const s = await waitFor(async () => {
      const x = await stats();
      return x.messagesIn >= s0.messagesIn + 3 && x.gauges['plan_stale'] >= 1 ? x : undefined;
    }, 10_000, 'three diagnoses handled');
    const plans: Plan[] = await readEvents(bus, 'plan', 'queue-1');
    expect(plans).toHaveLength(1);
    expect(await readEvents(bus, 'plan', 'queue-2')).toEqual([]);
    expect(s.gauges['plan_stale']).toBe(1);
    // Planned once: the component's rate window holds one action, not two.
    const r = await rank({ component: 'queue-1', kind: 'queue', cause: 'cpu_saturation' });
    expect(r.guardrails.find((l) => l.startsWith('rate_limit(component)'))).toBe('rate_limit(component): ok — 1/5 in 5m');
  });

  it('input - a diagnosis with impossible evidence is dead-lettered naming the field; the others of its batch are planned', async () => {
    // Published while the service is down, so that one fetch delivers the three together.
    client.close();
    await handle.stop();
    const good1 = makeDiagnosis('queue-5', { kind: 'queue' });
    const bad = makeDiagnosis('queue-6', { kind: 'queue', candidates: [{ action: 'scale_up', similarIncidents: 2, successes: 5, support: 0.5, rationale: '' }] });
    const good2 = makeDiagnosis('queue-7', { kind: 'queue' });
    for (const d of [good1, bad, good2]) await publishEvent(bus, 'diagnosis', d);
    await startPlan();
    await planFor(good1.meta!.id);
    await planFor(good2.meta!.id);
    const letter = await deadLetterOf('x0.events.diagnosis.queue-6');
    expect(letter).toMatchObject({ kind: 'rejected', reason: "'candidates[0].successes' must be between 0 and similar_incidents (2), got 5" });
    expect(await readEvents(bus, 'plan', 'queue-6')).toEqual([]);
  });

  it('restart - Explain returns a plan made before the plan service restarted (from KV x0_plans)', async () => {
    const d = makeDiagnosis('cache-1', { kind: 'cache' });
    await publishEvent(bus, 'diagnosis', d);
    const plan = await planFor(d.meta!.id);
    await restartPlan();
    expect(await call(client, client.explain, { planId: plan.meta!.id })).toEqual(plan);
    expect((await stats()).gauges['plan_recent_plans']).toBe(0); // not from the new process's memory

    // The diagnosis redelivered after the restart gets the same plan, not a second decision
    // (which would now choose another policy: the plan's is disabled).
    expect(plan.policyId).not.toBe('');
    await call<SetPolicyEnabledRequest, PolicyProto>(client, client.setPolicyEnabled, { id: plan.policyId, enabled: false });
    try {
      await waitFor(async () => (await rank({ component: 'cache-1', kind: 'cache', cause: 'cpu_saturation' })).ranking[0]?.policyId !== plan.policyId || undefined, 10_000, 'policy disabled');
      const s0 = await stats();
      await publishEvent(bus, 'diagnosis', d, `${d.meta!.id}-again`);
      await waitFor(async () => ((await stats()).gauges['plan_recent_plans'] === 1 ? true : undefined), 10_000, 'the diagnosis handled');
      expect((await stats()).messagesIn).toBeGreaterThan(s0.messagesIn);
      expect(await readEvents(bus, 'plan', 'cache-1')).toEqual([plan]);
      expect(await call(client, client.explain, { planId: plan.meta!.id })).toEqual(plan);
    } finally {
      await call<SetPolicyEnabledRequest, PolicyProto>(client, client.setPolicyEnabled, { id: plan.policyId, enabled: true });
    }
  });

  it('restart - PLAN_EXPLAIN_TTL_S bounds the bucket; a changed value is applied to the existing bucket', async () => {
    const maxAge = async () => (await bus.jsm.streams.info(`KV_${PLANS_BUCKET}`)).config.max_age;
    expect(await maxAge()).toBe(7 * 86_400 * 1e9);
    await restartPlan({ PLAN_EXPLAIN_TTL_S: '3600' });
    expect(await maxAge()).toBe(3600 * 1e9);
    const err = await call(client, client.explain, { planId: 'pl_nope' }).catch((x: grpc.ServiceError) => x);
    expect(err).toMatchObject({ code: grpc.status.NOT_FOUND, details: "plan 'pl_nope' not found: plans are kept for 1 hour (PLAN_EXPLAIN_TTL_S); x0 audit shows an older plan's explanation from the event log" });
    // Shorter than the window the guardrails are rebuilt from at start (30m): refused at start, naming the variable.
    await expect(restartPlan({ PLAN_EXPLAIN_TTL_S: '1799' })).rejects.toThrow(
      /^'PLAN_EXPLAIN_TTL_S' must be ≥ 1800, the window of stored plans a restarted plan service rebuilds its guardrails from \(its longest part: 2 × circuitBreaker\.global\.coolOffS 900\)/,
    );
    // Allowed with short enough guardrail windows; shorter than the bucket's 2-minute duplicate window, which has to follow.
    const short = [
      'approval: { timeoutS: 30 }',
      'blastRadius: { inFlightTimeoutS: 30 }',
      'cooldown: { defaultS: 60 }',
      'rateLimit: { component: { windowS: 60 } }',
      'circuitBreaker: { policy: { coolOffS: 30 }, global: { coolOffS: 30 } }',
      'stabilisation: { episodeGapS: 30, minPersistS: 30 }',
    ];
    fs.writeFileSync(path.join(dir, 'short.yaml'), `${short.join('\n')}\n`);
    await startPlan({ PLAN_EXPLAIN_TTL_S: '60', PLAN_GUARDRAILS_FILE: path.join(dir, 'short.yaml') });
    expect(await maxAge()).toBe(60 * 1e9);
  });
});

describe('plan service - PLAN_MAX_COOLDOWN_S', () => {
  it('cooldown cap - every policy cooldown is capped (the explanation shows the capped one)', async () => {
    const nats = await startNatsServer();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-plan-cap-'));
    fs.writeFileSync(path.join(dir, 'policies.yaml'), 'version: 1\npolicies:\n  - { id: p, action: restart, priority: 50, cooldown_s: 1800 }\n');
    const handle = await runService(planService, {
      env: { NATS_URL: nats.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent', PLAN_POLICY_FILE: path.join(dir, 'policies.yaml'), PLAN_MAX_COOLDOWN_S: '7' },
      handleSignals: false,
    });
    const bus = await connectBus({ url: nats.url, name: 'cap' });
    const client = new PlannerServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const d = makeDiagnosis('web-1');
      await publishEvent(bus, 'diagnosis', d);
      await waitFor(async () => (await readEvents(bus, 'plan')).length === 1 || undefined, 10_000, 'plan');
      const r = await call<RankRequest, Explanation>(client, client.rank, { component: 'web-1', kind: 'web', severity: Severity.SEVERITY_HIGH, cause: '', candidates: [] });
      expect(r.guardrails.find((l) => l.startsWith('cooldown:'))).toMatch(/^cooldown: blocked — restart on web-1 \d+ms ago, cooldown 7s$|^cooldown: blocked — restart on web-1 0s ago, cooldown 7s$/);
      const { policies } = await call<object, { policies: PolicyProto[] }>(client, client.listPolicies, {});
      expect(policies[0].cooldownS).toBe(1800);
      // …which applies as 7 s: GetStatistics says so (x0 policies prints it under the list).
      expect((await call<object, Statistics>(client, client.getStatistics, {})).gauges['plan_cooldown_cap_s']).toBe(7);
    } finally {
      client.close();
      await handle.stop();
      await bus.drain();
      await nats.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

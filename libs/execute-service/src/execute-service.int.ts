import * as grpc from '@grpc/grpc-js';
import { deriveId } from '@x0/core';
import { connectBus, type Bus } from '@x0/bus';
import { readDeadLetters, startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import {
  ActionStatus,
  EVENT_CODECS,
  ExecutorServiceClient,
  PlanStatus,
  Verdict,
  type DecisionRequest,
  type DecisionResponse,
  type ListActionsResponse,
  type ListPendingResponse,
  type Statistics,
} from '@x0/contracts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADVISED_BY_PARAM, ADVISED_RANGE_PARAM, loadShippedBase, shippedBaseArtifacts, suggestFrom } from '@x0/action-params';
import { startFakeKubernetesApi } from '@x0/executors/testing';
import { ComponentActionsStore } from '@x0/component-actions';
import { createModelRegistry } from '@x0/model-registry';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { executeService } from './execute-service';
import { EXECUTED_BUCKET } from './kv-idempotency-store';
import { VERIFICATIONS_BUCKET } from './verifier';
import { makePlan, publishEvent, publishStatus, readEvents, startTestAgent, waitFor, type TestAgent } from './testing';

jest.setTimeout(30_000);

type Unary<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall;

describe('execute service', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  let handle: ServiceHandle | undefined;
  let client: ExecutorServiceClient;
  /** The monitor's view the test publishes every 50 ms: component → open anomaly id ('' = healthy). */
  const health = new Map<string, string>();
  let ticker: NodeJS.Timeout;
  const agents: TestAgent[] = [];

  const start = async (env: Record<string, string> = {}) => {
    handle = await runService(executeService, {
      env: {
        NATS_URL: nats.url,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: '0',
        METRICS_PORT: '0',
        LOG_LEVEL: 'silent',
        EXECUTE_VERIFY_WINDOW_S: '2',
        EXECUTE_VERIFY_HOLD_S: '0.4',
        EXECUTE_DISCOVERY_TIMEOUT_MS: '300',
        ...env,
      },
      handleSignals: false,
    });
    client?.close();
    client = new ExecutorServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
  };
  /** Stops the service (closing the client first, so gRPC shuts down at once) and starts it again. */
  const restart = async (env: Record<string, string> = {}) => {
    client.close();
    await handle!.stop();
    await start(env);
  };
  const call = <Req, Res>(method: Unary<Req, Res>, req: Req) =>
    new Promise<Res>((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
  const stats = () => call<object, Statistics>(client.getStatistics, {});
  const outcomeOf = (actionId: string) => waitFor(async () => (await readEvents(bus, 'outcome')).find((o) => o.actionId === actionId), 15_000, `outcome of ${actionId}`);
  const actionOf = (planId: string) => waitFor(async () => (await readEvents(bus, 'action')).find((a) => a.planId === planId), 15_000, `action of ${planId}`);

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'execute-test' });
    ticker = setInterval(() => {
      for (const [c, open] of health) publishStatus(bus.nc, c, open);
    }, 50);
    await start();
  });

  afterAll(async () => {
    clearInterval(ticker);
    for (const a of agents) a.stop();
    client?.close();
    await handle?.stop();
    await bus?.drain();
    await nats?.stop();
  });

  it('dispatch - the agent acts, the component recovers: ActionResult and Outcome chained to the plan', async () => {
    let fixed = false;
    const plan = makePlan('web-1', { action: 'scale_up' });
    health.set('web-1', plan.incident!.anomalyId);
    agents.push(
      startTestAgent(bus.nc, 'web-1', {
        scale_up: () => {
          // The fix takes effect a little later, as in real life.
          setTimeout(() => health.set('web-1', ''), 200);
          fixed = true;
          return { ok: true, message: 'scaled to 3' };
        },
      }),
    );
    await publishEvent(bus, 'plan', plan);
    const action = await actionOf(plan.meta!.id);
    expect(fixed).toBe(true);
    expect(action.meta).toMatchObject({ id: deriveId('ac', plan.meta!.id), parentId: plan.meta!.id, component: 'web-1', source: 'execute' });
    expect(action).toMatchObject({ action: 'scale_up', executor: 'agent', status: ActionStatus.ACTION_STATUS_SUCCEEDED, message: 'scaled to 3', dryRun: false, idempotencyKey: plan.idempotencyKey, params: { delta: '1' } });
    expect(action.incident).toMatchObject({ anomalyId: plan.incident!.anomalyId, planId: plan.meta!.id, actionId: action.meta!.id, policyId: 'p-scale_up' });

    const outcome = await outcomeOf(action.meta!.id);
    expect(outcome.meta).toMatchObject({ id: deriveId('oc', action.meta!.id), parentId: action.meta!.id, component: 'web-1' });
    expect(outcome).toMatchObject({ verdict: Verdict.VERDICT_RECOVERED, recovered: true, anomalyReturned: false });
    expect(outcome.timeToRecoverMs).toBeGreaterThanOrEqual(150);
    expect(outcome.timeToRecoverMs).toBeLessThan(2000);
    expect(outcome.detail).toMatch(/^web-1 recovered \d+\.\d s after scale_up and stayed healthy for 0\.4 s$/);
    expect(outcome.incident?.actionId).toBe(action.meta!.id);
  });

  it('verification - not recovered when the window ends first; anomaly returned when it reopens during the hold', async () => {
    const stuck = makePlan('web-2', { action: 'restart' });
    health.set('web-2', stuck.incident!.anomalyId);
    const flaky = makePlan('web-3', { action: 'restart' });
    health.set('web-3', flaky.incident!.anomalyId);
    agents.push(startTestAgent(bus.nc, 'web-2', { restart: () => ({ ok: true }) }));
    agents.push(
      startTestAgent(bus.nc, 'web-3', {
        restart: () => {
          setTimeout(() => health.set('web-3', ''), 100);
          setTimeout(() => health.set('web-3', 'an_again'), 250);
          return { ok: true };
        },
      }),
    );
    await publishEvent(bus, 'plan', stuck);
    await publishEvent(bus, 'plan', flaky);
    const o1 = await outcomeOf(deriveId('ac', stuck.meta!.id));
    expect(o1).toMatchObject({ verdict: Verdict.VERDICT_NOT_RECOVERED, recovered: false, timeToRecoverMs: 0, anomalyReturned: false });
    expect(o1.detail).toMatch(new RegExp(`^web-2 not healthy 2\\.0 s after restart \\(last status \\d\\.\\d s ago: severity high, incident ${stuck.incident!.anomalyId} open\\)$`));
    const o2 = await outcomeOf(deriveId('ac', flaky.meta!.id));
    expect(o2).toMatchObject({ verdict: Verdict.VERDICT_NOT_RECOVERED, recovered: false, anomalyReturned: true });
    expect(o2.detail).toMatch(/^web-3 recovered \d\.\d s after restart, but the anomaly returned \d\.\d s later \(severity high, incident an_again\)$/);
  });

  it('no verification - a dry run, a failed action and an executor outside the allowlist get their Outcome at once', async () => {
    agents.push(startTestAgent(bus.nc, 'web-4', { restart: () => ({ ok: false, message: 'permission denied' }) }));
    const dry = makePlan('web-4', { action: 'scale_up', dryRun: true });
    const failed = makePlan('web-4', { action: 'restart' });
    const refused = makePlan('web-4', { action: 'restart', executor: 'k8s' });
    for (const p of [dry, failed, refused]) await publishEvent(bus, 'plan', p);
    const a1 = await actionOf(dry.meta!.id);
    expect(a1).toMatchObject({ status: ActionStatus.ACTION_STATUS_SKIPPED, dryRun: true });
    expect(a1.message).toBe('dry run: would request scale_up web-4 with {"delta":"1"} from its agent on x0.agents.web-4.scale_up');
    expect(await outcomeOf(a1.meta!.id)).toMatchObject({ verdict: Verdict.VERDICT_DRY_RUN, recovered: false, detail: a1.message });
    const a2 = await actionOf(failed.meta!.id);
    expect(a2).toMatchObject({ status: ActionStatus.ACTION_STATUS_FAILED, message: 'permission denied' });
    expect(await outcomeOf(a2.meta!.id)).toMatchObject({ verdict: Verdict.VERDICT_ACTION_FAILED, detail: 'action failed: permission denied' });
    const a3 = await actionOf(refused.meta!.id);
    expect(a3).toMatchObject({ status: ActionStatus.ACTION_STATUS_FAILED, executor: 'k8s', message: "refused: executor 'k8s' not found" });
    expect((await outcomeOf(a3.meta!.id)).verdict).toBe(Verdict.VERDICT_ACTION_FAILED);
    // A policy pointing at the dry-run executor: a dry run, not a failed action (which would trip breakers and teach failure).
    const viaDryRun = makePlan('web-4', { action: 'clear_cache', executor: 'dry-run' });
    await publishEvent(bus, 'plan', viaDryRun);
    const a4 = await actionOf(viaDryRun.meta!.id);
    expect(a4).toMatchObject({ status: ActionStatus.ACTION_STATUS_SKIPPED, executor: 'dry-run', dryRun: true });
    expect(await outcomeOf(a4.meta!.id)).toMatchObject({ verdict: Verdict.VERDICT_DRY_RUN, detail: 'dry run: would clear_cache web-4 with {"delta":"1"}' });
  });

  it('bad input - a plan with an unspecified or unknown status is dead-lettered with the reason, not ignored', async () => {
    const agent = startTestAgent(bus.nc, 'web-9', { restart: () => ({ ok: true }) });
    agents.push(agent);
    const unspecified = makePlan('web-9', { status: PlanStatus.PLAN_STATUS_UNSPECIFIED });
    const unknown = makePlan('web-9', { status: 42 as PlanStatus });
    await publishEvent(bus, 'plan', unspecified);
    await publishEvent(bus, 'plan', unknown);
    const letters = await waitFor(async () => {
      const mine = (await readDeadLetters(bus, 'execute')).filter((l) => l.subject === 'x0.events.plan.web-9');
      return mine.length === 2 ? mine : undefined;
    }, 10_000, 'two dead letters');
    const byPlan = new Map(letters.map((l) => [EVENT_CODECS.plan.decode(l.payload).meta!.id, l]));
    const expected = 'PLAN_STATUS_DISPATCH, PLAN_STATUS_PENDING_APPROVAL, PLAN_STATUS_BLOCKED or PLAN_STATUS_NO_ACTION';
    expect(byPlan.get(unspecified.meta!.id)).toMatchObject({ kind: 'rejected', reason: `'status' must be ${expected}, got PLAN_STATUS_UNSPECIFIED` });
    expect(byPlan.get(unknown.meta!.id)).toMatchObject({ kind: 'rejected', reason: `'status' must be ${expected}, got 42` });
    expect(agent.received).toEqual([]);
    expect(await readEvents(bus, 'action', 'web-9')).toEqual([]);
  });

  it('idempotency - a redelivered plan never acts twice, also after a restart', async () => {
    const agent = startTestAgent(bus.nc, 'web-5', { restart: () => ({ ok: true }) });
    agents.push(agent);
    health.set('web-5', '');
    const plan = makePlan('web-5');
    await publishEvent(bus, 'plan', plan);
    await publishEvent(bus, 'plan', plan, `${plan.meta!.id}-copy-1`);
    await outcomeOf(deriveId('ac', plan.meta!.id));
    await waitFor(async () => (await stats()).messagesIn >= 2 || undefined, 10_000, 'both copies handled');
    await restart();
    await publishEvent(bus, 'plan', plan, `${plan.meta!.id}-copy-2`);
    await waitFor(async () => (await stats()).messagesIn >= 1 || undefined, 10_000, 'the third copy handled');
    expect(agent.received).toEqual([{ action: 'restart', idempotencyKey: plan.idempotencyKey }]);
    expect(await readEvents(bus, 'action', 'web-5')).toHaveLength(1);
    expect(await readEvents(bus, 'outcome', 'web-5')).toHaveLength(1);
  });

  it('restart - a verification in progress survives a restart: exactly one Outcome', async () => {
    const plan = makePlan('web-6');
    health.set('web-6', plan.incident!.anomalyId);
    agents.push(startTestAgent(bus.nc, 'web-6', { restart: () => ({ ok: true }) }));
    await publishEvent(bus, 'plan', plan);
    await actionOf(plan.meta!.id);
    await waitFor(async () => (await stats()).gauges['execute_pending_verifications'] === 1 || undefined, 5000, 'verification started');
    client.close();
    await handle!.stop();
    // While execute is down the component recovers.
    health.set('web-6', '');
    await new Promise((r) => setTimeout(r, 300));
    await start({ EXECUTE_VERIFY_WINDOW_S: '30' });
    const outcome = await outcomeOf(deriveId('ac', plan.meta!.id));
    expect(outcome).toMatchObject({ verdict: Verdict.VERDICT_RECOVERED, recovered: true });
    expect(outcome.detail).toContain('verification resumed after a restart');
    await new Promise((r) => setTimeout(r, 500));
    expect(await readEvents(bus, 'outcome', 'web-6')).toHaveLength(1);
  });

  it('actions - advertisements, discovery and agent-less components are kept for the plan service', async () => {
    const agent = startTestAgent(bus.nc, 'web-7', { restart: () => ({ ok: true }), clear_cache: () => ({ ok: true }) });
    agents.push(agent);
    agent.announce();
    const store = await ComponentActionsStore.open(bus);
    const rec = await waitFor(() => store.get('web-7'), 5000, 'advertised actions stored');
    expect(rec).toMatchObject({ actions: ['clear_cache', 'restart'], source: 'agent' });

    agents.push(startTestAgent(bus.nc, 'web-8', { throttle: () => ({ ok: true }) }));
    // The agent's subscription must reach the server before execute asks it (over another connection).
    await bus.nc.flush();
    const r = await call<{ component: string }, ListActionsResponse>(client.listActions, { component: 'web-8' });
    expect(r.components).toEqual([{ component: 'web-8', actions: ['throttle'], source: 'agent', updatedMs: expect.any(Number) }]);
    expect(r.executors).toEqual(['agent', 'dry-run']);

    // A component the monitor reports on whose agent does not answer stays unknown (and is asked again later).
    health.set('no-agent-1', '');
    expect((await call<{ component: string }, ListActionsResponse>(client.listActions, { component: 'no-agent-1' })).components).toEqual([]);
    expect(await store.get('no-agent-1')).toBeUndefined();
  });

  it('approvals - pending, approved over gRPC (action + Approval event), rejected; errors name the problem', async () => {
    const plan = makePlan('db-1', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, guardrails: ['approval: needs_approval — risk high ≥ high; expires in 15m'] });
    const agent = startTestAgent(bus.nc, 'db-1', {
      failover: () => {
        setTimeout(() => health.set('db-1', ''), 100);
        return { ok: true };
      },
    });
    agents.push(agent);
    health.set('db-1', plan.incident!.anomalyId);
    const other = makePlan('db-2', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL });
    await publishEvent(bus, 'plan', plan);
    await publishEvent(bus, 'plan', other);
    const pending = await waitFor(async () => {
      const p = await call<object, ListPendingResponse>(client.listPending, {});
      return p.pending.length === 2 ? p.pending : undefined;
    }, 5000, 'two pending approvals');
    expect(pending[0]).toMatchObject({ planId: plan.meta!.id, component: 'db-1', action: 'failover', reason: 'risk high ≥ high' });
    expect(pending[0].expiresMs - pending[0].requestedMs).toBe(900_000);
    expect(agent.received).toEqual([]);

    const noActor = await call<DecisionRequest, DecisionResponse>(client.approve, { planId: plan.meta!.id, actor: '', reason: '' }).catch((e: grpc.ServiceError) => e);
    expect(noActor).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "'actor' must be non-empty: every decision names who made it" });
    const ok = await call<DecisionRequest, DecisionResponse>(client.approve, { planId: plan.meta!.id, actor: 'alice', reason: 'primary is gone' });
    expect(ok).toEqual({ planId: plan.meta!.id, status: 'approved' });
    const again = await call<DecisionRequest, DecisionResponse>(client.reject, { planId: plan.meta!.id, actor: 'bob', reason: '' }).catch((e: grpc.ServiceError) => e);
    expect(again).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: `plan ${plan.meta!.id} was already approved by alice` });
    const unknown = await call<DecisionRequest, DecisionResponse>(client.approve, { planId: 'pl_nope', actor: 'alice', reason: '' }).catch((e: grpc.ServiceError) => e);
    expect(unknown).toMatchObject({ code: grpc.status.NOT_FOUND, details: "pending approval 'pl_nope' not found" });

    const approvals = await readEvents(bus, 'approval', 'db-1');
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatchObject({ planId: plan.meta!.id, decision: 'approved', actor: 'alice', reason: 'primary is gone' });
    expect(approvals[0].meta).toMatchObject({ id: deriveId('ap', plan.meta!.id), parentId: plan.meta!.id });
    const action = await actionOf(plan.meta!.id);
    expect(action).toMatchObject({ action: 'failover', status: ActionStatus.ACTION_STATUS_SUCCEEDED });
    expect(agent.received.map((r) => r.action)).toEqual(['failover']);
    expect((await outcomeOf(action.meta!.id)).verdict).toBe(Verdict.VERDICT_RECOVERED);

    expect(await call<DecisionRequest, DecisionResponse>(client.reject, { planId: other.meta!.id, actor: 'bob', reason: 'not now' })).toEqual({ planId: other.meta!.id, status: 'rejected' });
    const rejected = await readEvents(bus, 'approval', 'db-2');
    expect(rejected.map((a) => [a.decision, a.actor, a.reason])).toEqual([['rejected', 'bob', 'not now']]);
    expect(await readEvents(bus, 'action', 'db-2')).toEqual([]);
    expect((await call<object, ListPendingResponse>(client.listPending, {})).pending).toEqual([]);
  });

  it('approvals - a plan for approval older than EXECUTE_MAX_PLAN_AGE_S is held until its deadline from the plan; one past it is not held', async () => {
    const stale0 = (await stats()).gauges['execute_stale'] ?? 0;
    const now = Date.now();
    // Execute was behind (down, say): the plan waited 400 s in the stream — more than the 300 s a plan to execute may be old.
    const late = makePlan('db-6', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, timeMs: now - 400_000 });
    const lapsed = makePlan('db-7', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, timeMs: now - 1_000_000 });
    await publishEvent(bus, 'plan', late);
    await publishEvent(bus, 'plan', lapsed);
    const p = await waitFor(async () => (await call<object, ListPendingResponse>(client.listPending, {})).pending.find((x) => x.planId === late.meta!.id), 5000, 'the late plan pending');
    expect([p.requestedMs, p.expiresMs]).toEqual([late.meta!.timeMs, late.meta!.timeMs + 900_000]);
    // Past its deadline already (the plan service's slot for it has lapsed too): not held, counted as stale.
    await waitFor(async () => ((await stats()).gauges['execute_stale'] ?? 0) > stale0 || undefined, 5000, 'the lapsed plan handled');
    expect((await call<object, ListPendingResponse>(client.listPending, {})).pending.map((x) => x.planId)).not.toContain(lapsed.meta!.id);
    expect(await readEvents(bus, 'approval', 'db-7')).toEqual([]);
    await call<DecisionRequest, DecisionResponse>(client.reject, { planId: late.meta!.id, actor: 'alice', reason: 'cleaning up' });
  });

  it('approvals - approved after the component recovered on its own (EXECUTE_WITHDRAW_ENDED=false: not withdrawn): not performed, and said so', async () => {
    await restart({ EXECUTE_WITHDRAW_ENDED: 'false' });
    const agent = startTestAgent(bus.nc, 'db-4', { failover: () => ({ ok: true }) });
    agents.push(agent);
    health.set('db-4', '');
    // The service must have heard the component is healthy (statuses go out every 50 ms) before the approval:
    // every status it receives has it learn the component's actions, so db-4 listed means a status arrived.
    await waitFor(async () => (await call<{ component: string }, ListActionsResponse>(client.listActions, { component: '' })).components.some((c) => c.component === 'db-4') || undefined, 5000, 'a status of db-4 heard');
    const plan = makePlan('db-4', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL });
    await publishEvent(bus, 'plan', plan);
    await waitFor(async () => (await call<object, ListPendingResponse>(client.listPending, {})).pending.length === 1 || undefined, 5000, 'pending');
    await call<DecisionRequest, DecisionResponse>(client.approve, { planId: plan.meta!.id, actor: 'alice', reason: '' });
    const action = await actionOf(plan.meta!.id);
    expect(action).toMatchObject({ status: ActionStatus.ACTION_STATUS_SKIPPED, message: 'not performed: db-4 is healthy again (no open incident) by the time the plan was approved' });
    expect(await outcomeOf(action.meta!.id)).toMatchObject({ verdict: Verdict.VERDICT_UNSPECIFIED, recovered: false });
    expect(agent.received).toEqual([]);
  });

  it('approvals - approved after its incident ended and another opened (EXECUTE_WITHDRAW_ENDED=false): not performed on the new incident, and said so', async () => {
    await restart({ EXECUTE_WITHDRAW_ENDED: 'false' }); // (and the default verification window of this file: an earlier test lengthened it)
    const failovers: string[] = [];
    const agent = startTestAgent(bus.nc, 'db-5', {
      failover: () => {
        failovers.push('failover');
        return { ok: true };
      },
      // Fixes the first incident: the monitor then reports db-5 without an open incident.
      restart: () => {
        setTimeout(() => health.set('db-5', ''), 100);
        return { ok: true };
      },
      throttle: () => ({ ok: true }),
    });
    agents.push(agent);
    const held = makePlan('db-5', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL });
    health.set('db-5', held.incident!.anomalyId);
    await publishEvent(bus, 'plan', held);
    await waitFor(async () => (await call<object, ListPendingResponse>(client.listPending, {})).pending.some((p) => p.planId === held.meta!.id) || undefined, 5000, 'pending');
    // Meanwhile another action ends the incident (its recovered Outcome: the service heard db-5 without an open incident) ...
    const fix = makePlan('db-5', { action: 'restart' });
    await publishEvent(bus, 'plan', fix);
    expect((await outcomeOf((await actionOf(fix.meta!.id)).meta!.id)).verdict).toBe(Verdict.VERDICT_RECOVERED);
    // ... and a new incident opens (a not-recovered Outcome quoting it: the service's latest status of db-5 names it).
    const next = makePlan('db-5', { action: 'throttle' });
    health.set('db-5', next.incident!.anomalyId);
    await publishEvent(bus, 'plan', next);
    const notRecovered = await outcomeOf((await actionOf(next.meta!.id)).meta!.id);
    expect(notRecovered.detail).toContain(`incident ${next.incident!.anomalyId} open`);

    await call<DecisionRequest, DecisionResponse>(client.approve, { planId: held.meta!.id, actor: 'alice', reason: '' });
    const action = await actionOf(held.meta!.id);
    expect(action.status).toBe(ActionStatus.ACTION_STATUS_SKIPPED);
    expect(action.message).toMatch(
      new RegExp(`^not performed: incident ${held.incident!.anomalyId} ended while the plan waited for an operator \\(the monitor reported db-5 without an open incident at \\S+\\); a later incident gets its own plan$`),
    );
    expect(await outcomeOf(action.meta!.id)).toMatchObject({ verdict: Verdict.VERDICT_UNSPECIFIED, recovered: false });
    expect(failovers).toEqual([]);
  });

  it('approvals - a held plan whose incident ends is withdrawn (Approval withdrawn by system, with the reason), leaves the pending list, and an approval is refused saying so', async () => {
    await restart();
    const failovers: string[] = [];
    agents.push(startTestAgent(bus.nc, 'db-8', { failover: () => (failovers.push('failover'), { ok: true }) }));
    const held = makePlan('db-8', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL });
    health.set('db-8', held.incident!.anomalyId);
    await publishEvent(bus, 'plan', held);
    await waitFor(async () => (await call<object, ListPendingResponse>(client.listPending, {})).pending.some((p) => p.planId === held.meta!.id) || undefined, 5000, 'pending');
    // held while the incident is open: it stays held
    await new Promise((r) => setTimeout(r, 1500));
    expect((await call<object, ListPendingResponse>(client.listPending, {})).pending.map((p) => p.planId)).toContain(held.meta!.id);
    expect(await readEvents(bus, 'approval', 'db-8')).toEqual([]);

    // the monitor closes the incident
    health.set('db-8', '');
    const [withdrawn] = await waitFor(async () => {
      const a = await readEvents(bus, 'approval', 'db-8');
      return a.length > 0 ? a : undefined;
    }, 5000, 'the withdrawal');
    expect(withdrawn).toMatchObject({ planId: held.meta!.id, decision: 'withdrawn', actor: 'system' });
    expect(withdrawn.reason).toMatch(new RegExp(`^incident ${held.incident!.anomalyId} ended while the plan waited for an operator \\(the monitor reported db-8 without an open incident at \\S+\\); a later incident gets its own plan$`));
    expect((await call<object, ListPendingResponse>(client.listPending, {})).pending.map((p) => p.planId)).not.toContain(held.meta!.id);
    const refused = await call<DecisionRequest, DecisionResponse>(client.approve, { planId: held.meta!.id, actor: 'alice', reason: '' }).catch((e: grpc.ServiceError) => e);
    expect(refused).toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
    expect((refused as grpc.ServiceError).details).toBe(`approval for plan ${held.meta!.id} was withdrawn at ${new Date(withdrawn.meta!.timeMs).toISOString()}: ${withdrawn.reason}`);
    // also after a restart (the decided record in KV)
    await restart();
    const again = await call<DecisionRequest, DecisionResponse>(client.approve, { planId: held.meta!.id, actor: 'alice', reason: '' }).catch((e: grpc.ServiceError) => e);
    expect(again).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: (refused as grpc.ServiceError).details });
    expect(await readEvents(bus, 'action', 'db-8')).toEqual([]);
    expect(failovers).toEqual([]);
    health.delete('db-8');
  });

  it('approvals - a held plan whose incident ended, and another opened, while execute was down is withdrawn after the restart (the status names the other incident)', async () => {
    await restart();
    const held = makePlan('db-9', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL });
    health.set('db-9', held.incident!.anomalyId);
    await publishEvent(bus, 'plan', held);
    await waitFor(async () => (await call<object, ListPendingResponse>(client.listPending, {})).pending.some((p) => p.planId === held.meta!.id) || undefined, 5000, 'pending');
    client.close();
    await handle!.stop();
    // While execute is down, the incident ends and another opens: no status without an open incident reaches it.
    const next = makePlan('db-9', { action: 'throttle' });
    health.set('db-9', next.incident!.anomalyId);
    await new Promise((r) => setTimeout(r, 200));
    await start();
    const [withdrawn] = await waitFor(async () => {
      const a = await readEvents(bus, 'approval', 'db-9');
      return a.length > 0 ? a : undefined;
    }, 5000, 'the withdrawal');
    expect(withdrawn).toMatchObject({ planId: held.meta!.id, decision: 'withdrawn', actor: 'system' });
    expect(withdrawn.reason).toMatch(
      new RegExp(`^incident ${held.incident!.incidentId} ended while the plan waited for an operator \\(the monitor reported db-9 with another incident open \\(${next.incident!.incidentId}\\) at \\S+\\); a later incident gets its own plan$`),
    );
    expect((await call<object, ListPendingResponse>(client.listPending, {})).pending.map((p) => p.planId)).not.toContain(held.meta!.id);
    health.delete('db-9');
  });

  it('action params - a dispatched plan gets the advisor\'s params; an approved one runs with the params the operator approved', async () => {
    // The shipped action-params base as champion (what the trainer registers on first start): the service follows it.
    const registry = await createModelRegistry({ nc: bus.nc, source: 'execute-test' });
    if ((await registry.list('action-params')).length === 0) {
      await registry.register({ model: 'action-params', version: '1', artifacts: shippedBaseArtifacts(), signature: { inputShape: [5] } });
      await registry.promote('action-params', '1', 'champion', { reason: 'test' });
    }
    agents.push(startTestAgent(bus.nc, 'web-10', { scale_up: () => ({ ok: true }) }));
    health.set('web-10', 'an_web10_open');
    // Dispatched plans, until the advisor has loaded the champion and sets the params.
    const advised = await waitFor(async () => {
      const plan = makePlan('web-10', { action: 'scale_up' });
      await publishEvent(bus, 'plan', plan);
      const a = await actionOf(plan.meta!.id);
      return a.params[ADVISED_BY_PARAM] ? a : undefined;
    }, 20_000, 'an advised action');
    expect(advised.params[ADVISED_BY_PARAM]).toBe('action-params@1');

    // (of the incident the monitor reports open: one another incident replaced would not run)
    const held = makePlan('web-10', { action: 'scale_up', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, anomalyId: 'an_web10_open' });
    await publishEvent(bus, 'plan', held);
    await waitFor(async () => (await call<object, ListPendingResponse>(client.listPending, {})).pending.some((p) => p.planId === held.meta!.id) || undefined, 5000, 'pending');
    await call<DecisionRequest, DecisionResponse>(client.approve, { planId: held.meta!.id, actor: 'alice', reason: 'one more replica' });
    const action = await actionOf(held.meta!.id);
    expect(action.status).toBe(ActionStatus.ACTION_STATUS_SUCCEEDED);
    expect(action.params).toEqual({ delta: '1' });
  }, 60_000);

  it('action params - the advice stays within what the plan\'s executor accepts: a Kubernetes executor with max_step 2 gets delta ≤ 2 (unbounded, the shipped base advises 4, which it refuses)', async () => {
    // (the action-params champion from the test above) Unbounded, it advises delta 4 for these plans (severity high), which max_step 2 refuses.
    const shipped = await loadShippedBase();
    expect(suggestFrom(shipped, 'scale_up', { score: 0, severity: 3 }).value).toBe(4);
    shipped.dispose();
    await import('@kubernetes/client-node');
    const api = await startFakeKubernetesApi({ token: 't0k3n', deployments: [{ namespace: 'prod', name: 'web-11', replicas: 2 }] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-exec-k8s-'));
    try {
      fs.writeFileSync(path.join(dir, 'kubeconfig'), api.kubeconfig('t0k3n'));
      const config = { executors: { k8s: { type: 'kubernetes', namespace: 'prod', kubeconfig: path.join(dir, 'kubeconfig'), context: 'fake', max_step: 2, actions: { scale_up: { op: 'scale', delta: 1 } } } } };
      fs.writeFileSync(path.join(dir, 'executors.yaml'), JSON.stringify(config));
      await restart({ EXECUTE_CONFIG_FILE: path.join(dir, 'executors.yaml') });
      health.set('web-11', 'an_web11_open');
      const advised = await waitFor(async () => {
        const plan = makePlan('web-11', { action: 'scale_up', executor: 'k8s' });
        await publishEvent(bus, 'plan', plan);
        const a = await actionOf(plan.meta!.id);
        return a.params[ADVISED_BY_PARAM] ? a : undefined;
      }, 20_000, 'an advised action');
      expect(advised).toMatchObject({ executor: 'k8s', status: ActionStatus.ACTION_STATUS_SUCCEEDED });
      expect(advised.params).toMatchObject({ delta: '2', policy_delta: '1', [ADVISED_RANGE_PARAM]: '1..2', [ADVISED_BY_PARAM]: 'action-params@1' });
      expect(advised.message).toMatch(/^scaled deployment prod\/web-11 from \d+ to \d+ replicas$/);
      expect(api.deployment('prod', 'web-11')!.spec.replicas).toBeGreaterThanOrEqual(4);
    } finally {
      health.delete('web-11');
      await restart();
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('approvals - a pending approval survives a restart with its deadline, then expires (actor system)', async () => {
    await restart({ EXECUTE_APPROVAL_TIMEOUT_S: '2' });
    const plan = makePlan('db-3', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL });
    await publishEvent(bus, 'plan', plan);
    const [p] = await waitFor(async () => {
      const x = await call<object, ListPendingResponse>(client.listPending, {});
      return x.pending.length === 1 ? x.pending : undefined;
    }, 5000, 'pending approval');
    await restart({ EXECUTE_APPROVAL_TIMEOUT_S: '2' });
    const restored = await call<object, ListPendingResponse>(client.listPending, {});
    expect(restored.pending.map((x) => [x.planId, x.expiresMs])).toEqual([[plan.meta!.id, p.expiresMs]]);
    const [expired] = await waitFor(async () => {
      const a = await readEvents(bus, 'approval', 'db-3');
      return a.length > 0 ? a : undefined;
    }, 10_000, 'the expiry');
    expect(expired).toMatchObject({ decision: 'expired', actor: 'system', reason: 'no decision within 2s' });
    expect(await readEvents(bus, 'action', 'db-3')).toEqual([]);
  });

  it('restart - EXECUTE_IDEMPOTENCY_TTL_S bounds x0_executed; a changed value is applied to the existing bucket', async () => {
    const maxAge = async () => (await bus.jsm.streams.info(`KV_${EXECUTED_BUCKET}`)).config.max_age;
    expect(await maxAge()).toBe(7 * 86_400 * 1e9);
    await restart({ EXECUTE_IDEMPOTENCY_TTL_S: '3600' });
    expect(await maxAge()).toBe(3600 * 1e9);
    // Shorter than the 2-minute duplicate window the bucket was created with.
    await restart({ EXECUTE_IDEMPOTENCY_TTL_S: '60' });
    expect(await maxAge()).toBe(60 * 1e9);
  });

  it('restart - x0_verifications keeps entries for 4 × (EXECUTE_VERIFY_WINDOW_S + EXECUTE_VERIFY_HOLD_S), at least a day; a changed value is applied to the existing bucket', async () => {
    const maxAgeMs = async () => (await bus.jsm.streams.info(`KV_${VERIFICATIONS_BUCKET}`)).config.max_age / 1e6;
    expect(await maxAgeMs()).toBe(86_400_000);
    // A verification may take longer than a day: its record must outlive it.
    await restart({ EXECUTE_VERIFY_WINDOW_S: '86400', EXECUTE_VERIFY_HOLD_S: '3600.5' });
    expect(await maxAgeMs()).toBe(4 * 90_000_500);
    await restart();
    expect(await maxAgeMs()).toBe(86_400_000);
  });
});

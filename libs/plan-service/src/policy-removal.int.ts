/**
 * Removing policies over gRPC (DeletePolicy), against a real nats-server: a removed policy
 * leaves the ranking and the plans of every diagnosis at once, stays removed across a
 * restart, and a bucket whose policies were all removed is not seeded from the file again.
 */
import * as grpc from '@grpc/grpc-js';
import type { Bus } from '@x0/bus';
import { Severity, type DeletePolicyRequest, type Explanation, type PlannerServiceClient, type Policy as PolicyProto, type RankRequest } from '@x0/contracts';
import type { ServiceHandle } from '@x0/service-kit';
import { call, planTestBed, startPlanService, type PlanTestBed } from './plan-harness';
import { makeDiagnosis, publishEvent, readEvents, waitFor } from './testing';

const POLICIES = `
version: 1
defaults: { executor: agent, cooldown_s: 0 }
policies:
  - { id: cpu-scale-up, action: scale_up, priority: 80, conditions: { causes: [cpu_saturation] } }
  - { id: cpu-throttle, action: throttle, priority: 50, conditions: { causes: [cpu_saturation] } }
  - { id: db-failover, action: failover, priority: 90, risk: high, conditions: { causes: [dependency_down] } }
`;

describe('plan service - removing policies', () => {
  let bed: PlanTestBed;
  let bus: Bus;
  let handle: ServiceHandle;
  let client: PlannerServiceClient;

  const start = async () => {
    ({ handle, client } = await startPlanService(bed));
  };
  const stop = async () => {
    client?.close();
    await handle?.stop();
  };
  const ids = async () => (await call<object, { policies: PolicyProto[] }>(client, client.listPolicies, {})).policies.map((p) => p.id);
  const remove = (id: string) => call<DeletePolicyRequest, PolicyProto>(client, client.deletePolicy, { id });
  const rank = () => call<RankRequest, Explanation>(client, client.rank, { component: 'web-1', kind: 'web', severity: Severity.SEVERITY_HIGH, cause: 'cpu_saturation', candidates: [] });

  beforeAll(async () => {
    bed = await planTestBed('plan-rm', { policies: POLICIES, guardrails: 'stabilisation: { flapWindowS: 0 }\n' });
    bus = bed.bus;
    await start();
  });

  afterAll(async () => {
    await stop();
    await bed?.close();
  });

  it('remove - unknown or empty ids are refused; a removed policy leaves the ranking and the plans at once', async () => {
    expect((await rank()).ranking.map((r) => r.policyId)).toEqual(['cpu-scale-up', 'cpu-throttle']);
    await expect(remove('nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: "policy 'nope' not found" });
    await expect(remove('')).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "'id' must be non-empty" });

    const removed = await remove('cpu-scale-up');
    expect(removed).toMatchObject({ id: 'cpu-scale-up', action: 'scale_up', priority: 80, enabled: true });
    expect(await ids()).toEqual(['cpu-throttle', 'db-failover']);
    // The engine follows the bucket: the policy is not ranked, not even as "not applicable".
    const r = await waitFor(async () => {
      const x = await rank();
      return x.ranking.every((p) => p.policyId !== 'cpu-scale-up') ? x : undefined;
    }, 10_000, 'the removed policy to leave the ranking');
    expect(r.ranking.map((p) => p.policyId)).toEqual(['cpu-throttle']);
    expect(r.evidence.join('\n')).not.toContain('cpu-scale-up');

    const d = makeDiagnosis('web-2');
    await publishEvent(bus, 'diagnosis', d);
    const plan = await waitFor(async () => (await readEvents(bus, 'plan')).find((p) => p.meta!.parentId === d.meta!.id), 10_000, 'the plan');
    expect(plan).toMatchObject({ policyId: 'cpu-throttle', action: 'throttle' });
    await expect(remove('cpu-scale-up')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: "policy 'cpu-scale-up' not found" });
  });

  it('restart - a removed policy stays removed; removing them all does not seed the policy file again', async () => {
    await stop();
    await start();
    expect(await ids()).toEqual(['cpu-throttle', 'db-failover']);
    await remove('cpu-throttle');
    await remove('db-failover');
    expect(await ids()).toEqual([]);
    await stop();
    await start();
    expect(await ids()).toEqual([]);
    expect((await rank()).ranking).toEqual([]);
    // Added again, a policy applies again.
    await call(client, client.upsertPolicy, {
      policy: { id: 'cpu-scale-up', action: 'scale_up', params: {}, priority: 80, risk: '', cooldownS: 0, enabled: true, dryRun: false, description: '', executor: '', conditions: undefined },
    });
    await waitFor(async () => ((await rank()).ranking[0]?.policyId === 'cpu-scale-up') || undefined, 10_000, 'the policy added again to rank');
  });
});

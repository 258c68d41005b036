import pino from 'pino';
import type { KV } from '@nats-io/kv';
import { connectBus, toKvKey, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { PlanStatus, type Plan } from '@x0/contracts';
import type { ApprovalAudit } from '@x0/guardrails';
import { ApprovalDesk } from './approval-desk';
import { makePlan } from './testing';

jest.setTimeout(20_000);

describe('ApprovalDesk', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  const desks: ApprovalDesk[] = [];

  const open = async () => {
    const decisions: Array<[Plan, ApprovalAudit]> = [];
    const desk = new ApprovalDesk({ bus, logger: pino({ level: 'silent' }), timeoutS: 900, onDecision: async (plan, audit) => void decisions.push([plan, audit]) });
    desks.push(desk);
    await desk.start();
    return { desk, decisions };
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'approval-desk-test' });
  });

  afterAll(async () => {
    for (const d of desks) d.stop();
    await bus?.drain();
    await nats?.stop();
  });

  it('a plan approved while its pending record is still being written is carried out, and the decided record is the one kept', async () => {
    const { desk, decisions } = await open();
    // Hold the desk's KV writes until released: the window between listing a plan and storing it.
    const kv = (desk as unknown as { kv: KV }).kv;
    const put = kv.put.bind(kv);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    kv.put = async (...args: Parameters<KV['put']>) => {
      await gate;
      return put(...args);
    };
    const plan = makePlan('db-9', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL });
    const id = plan.meta!.id;
    const holding = desk.hold(plan);
    // Listed (as ListPending shows it) before its record is stored.
    for (let i = 0; i < 100 && desk.pending().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(desk.pending().map((p) => p.planId)).toEqual([id]);

    const deciding = desk.decide(id, 'approved', { actor: 'alice', reason: 'go' });
    release();
    expect(await deciding).toMatchObject({ planId: id, decision: 'approved', actor: 'alice' });
    expect(await holding).toBe(true);
    expect(decisions.map(([p, a]) => [p.meta!.id, a.decision])).toEqual([[id, 'approved']]);
    expect(desk.pending()).toEqual([]);

    expect((await kv.get(toKvKey(id)))!.json<{ state: string }>().state).toBe('decided');
    // A restart does not offer it again, and the redelivered plan is not held again.
    const { desk: restarted } = await open();
    expect(restarted.pending()).toEqual([]);
    expect(await restarted.hold(plan)).toBe(false);
  });

  it('a plan decided before a restart: deciding it again names the decision (not "not found"), and nothing is carried out again', async () => {
    const { desk } = await open();
    const approved = makePlan('db-8', { action: 'failover', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL });
    const rejected = makePlan('db-8', { action: 'rollback', status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL });
    await desk.hold(approved);
    await desk.hold(rejected);
    await desk.decide(approved.meta!.id, 'approved', { actor: 'alice' });
    await desk.decide(rejected.meta!.id, 'rejected', { actor: 'bob' });

    const { desk: restarted, decisions } = await open();
    await expect(restarted.decide(approved.meta!.id, 'approved', { actor: 'carol' })).rejects.toMatchObject({
      name: 'FailedPreconditionError',
      message: `plan ${approved.meta!.id} was already approved by alice`,
    });
    await expect(restarted.decide(rejected.meta!.id, 'approved', { actor: 'carol' })).rejects.toMatchObject({
      name: 'FailedPreconditionError',
      message: `plan ${rejected.meta!.id} was already rejected by bob`,
    });
    await expect(restarted.decide('pl_unknown', 'approved', { actor: 'carol' })).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(decisions).toEqual([]);
  });
});

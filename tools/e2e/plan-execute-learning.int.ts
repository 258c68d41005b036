/**
 * Plan → execute → knowledge → plan, for real: the first-ranked action does not fix the
 * fault, the outcomes say so, knowledge counts them in the policy statistics, plan reads
 * them, and after a few incidents the engine prefers the action that works. The managed
 * component is the demo's AgentServer; which action fixes the fault comes from the demo's
 * FIXES table. The test stands in for the monitor (live ComponentHealth) and for analyze
 * (one Diagnosis per incident).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connectBus, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { PlanStatus, PlannerServiceClient, Severity, Verdict, type Explanation, type RankRequest } from '@x0/contracts';
import { AgentServer, FIXES } from '@x0/demo';
import { executeService } from '@x0/execute-service';
import { knowledgeService } from '@x0/knowledge-service';
import { planService } from '@x0/plan-service';
import { PolicyStatsStore } from '@x0/policy-stats';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { publishStatus } from '../../libs/execute-service/src/testing';
import { makeDiagnosis, publishEvent, readEvents, waitFor } from '../../libs/plan-service/src/testing';

jest.setTimeout(60_000);

const COMPONENT = 'learn-web-1';
const FAULT = 'cpu_saturation' as const;

// restart ranks first (priority 90) but does not fix CPU saturation; scale_up (priority 60) does.
const POLICIES = `
version: 1
defaults: { cooldown_s: 0 }
policies:
  - { id: cpu-restart, action: restart, priority: 90, conditions: { causes: [cpu_saturation] } }
  - { id: cpu-scale-up, action: scale_up, priority: 60, conditions: { causes: [cpu_saturation] } }
`;

describe('plan and execute learn from outcomes', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  const handles: ServiceHandle[] = [];
  let planner: PlannerServiceClient;
  let agent: AgentServer;
  let ticker: NodeJS.Timeout;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-learn-'));
  /** The open incident on the component ('' when healthy): what the stand-in monitor reports. */
  let openIncident = '';

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'learn-test' });
    fs.writeFileSync(path.join(dir, 'policies.yaml'), POLICIES);
    const base = { NATS_URL: nats.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent' };
    handles.push(await runService(knowledgeService, { env: { ...base, X0_DATA_DIR: path.join(dir, 'knowledge') }, handleSignals: false }));
    const plan = await runService(planService, { env: { ...base, PLAN_POLICY_FILE: path.join(dir, 'policies.yaml'), PLAN_STATS_DEBOUNCE_MS: '20' }, handleSignals: false });
    handles.push(plan);
    handles.push(await runService(executeService, { env: { ...base, EXECUTE_VERIFY_WINDOW_S: '1.5', EXECUTE_VERIFY_HOLD_S: '0.3' }, handleSignals: false }));
    planner = new PlannerServiceClient(`127.0.0.1:${plan.grpcPort}`, grpc.credentials.createInsecure());

    // The managed component: its agent performs every action; only the fixing ones clear the fault.
    const act = (action: string) => () => {
      const fixes = FIXES[FAULT].includes(action);
      if (fixes) setTimeout(() => (openIncident = ''), 150);
      return { ok: true, message: `${action} performed${fixes ? '' : ' (no effect on the fault)'}` };
    };
    agent = new AgentServer(bus.nc, COMPONENT, { restart: act('restart'), scale_up: act('scale_up') });
    agent.start();
    ticker = setInterval(() => publishStatus(bus.nc, COMPONENT, openIncident), 50);
  });

  afterAll(async () => {
    clearInterval(ticker);
    agent?.stop();
    planner?.close();
    for (const h of handles.reverse()) await h.stop();
    await bus?.drain();
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rank = () =>
    new Promise<Explanation>((resolve, reject) =>
      planner.rank({ component: COMPONENT, kind: 'web', severity: Severity.SEVERITY_HIGH, cause: FAULT, candidates: [] } as RankRequest, (err, res) => (err ? reject(err) : resolve(res))),
    );

  /** One incident: the fault appears, analyze's diagnosis arrives, plan decides, execute acts and verifies. */
  async function incident(n: number) {
    const d = makeDiagnosis(COMPONENT, { anomalyId: `an_learn_${n}`, kind: 'web', cause: FAULT });
    openIncident = d.incident!.anomalyId;
    await publishEvent(bus, 'diagnosis', d);
    const plan = await waitFor(async () => (await readEvents(bus, 'plan', COMPONENT)).find((p) => p.meta!.parentId === d.meta!.id), 10_000, `plan ${n}`);
    expect(plan.status).toBe(PlanStatus.PLAN_STATUS_DISPATCH);
    const action = await waitFor(async () => (await readEvents(bus, 'action', COMPONENT)).find((a) => a.planId === plan.meta!.id), 10_000, `action ${n}`);
    const outcome = await waitFor(async () => (await readEvents(bus, 'outcome', COMPONENT)).find((o) => o.actionId === action.meta!.id), 10_000, `outcome ${n}`);
    return { plan, action, outcome };
  }

  /** Waits until knowledge has counted the outcomes of the policy and plan ranks with them (Beta(1,1) prior). */
  async function learnt(policyId: string, successes: number, failures: number) {
    const tallies = await PolicyStatsStore.open(bus);
    await waitFor(async () => {
      const t = (await tallies.list()).find((s) => s.policyId === policyId);
      return t && t.successes === successes && t.failures === failures ? t : undefined;
    }, 10_000, `${successes}+${failures} outcome(s) of ${policyId} in the statistics`);
    const expected = (1 + successes) / (2 + successes + failures);
    return waitFor(async () => {
      const line = (await rank()).ranking.find((x) => x.policyId === policyId);
      return line && Math.abs(line.successRate - expected) < 1e-9 ? line : undefined;
    }, 10_000, `plan to rank ${policyId} with success rate ${expected}`);
  }

  it('learning - the failing first choice is dropped for the action that fixes the fault', async () => {
    expect((await rank()).ranking.map((r) => r.policyId)).toEqual(['cpu-restart', 'cpu-scale-up']);
    const chosen: string[] = [];
    const verdicts: Verdict[] = [];
    for (let n = 1; n <= 4; n++) {
      const { plan, outcome } = await incident(n);
      chosen.push(plan.action);
      verdicts.push(outcome.verdict);
      expect(outcome.incident).toMatchObject({ policyId: plan.policyId, action: plan.action, planId: plan.meta!.id });
      const failures = verdicts.filter((v, i) => v === Verdict.VERDICT_NOT_RECOVERED && chosen[i] === plan.action).length;
      const successes = verdicts.filter((v, i) => v === Verdict.VERDICT_RECOVERED && chosen[i] === plan.action).length;
      await learnt(plan.policyId, successes, failures);
      if (outcome.verdict === Verdict.VERDICT_RECOVERED) break;
      // The fault persists until fixed: the next diagnosis is a new incident of the same fault.
    }
    // Beta(1,1) prior: restart drops to 1/3, then 1/4; at 1/4 it scores below scale_up's untried 1/2.
    expect(chosen).toEqual(['restart', 'restart', 'scale_up']);
    expect(verdicts).toEqual([Verdict.VERDICT_NOT_RECOVERED, Verdict.VERDICT_NOT_RECOVERED, Verdict.VERDICT_RECOVERED]);
    expect(agent.actions).toEqual(['restart', 'scale_up']);

    const after = await rank();
    expect(after.ranking.map((r) => r.policyId)).toEqual(['cpu-scale-up', 'cpu-restart']);
    expect(after.ranking[0].successRate).toBeCloseTo(2 / 3);
    expect(after.ranking[0].recency).toBeGreaterThan(0.99);
    expect(after.ranking[1].successRate).toBeCloseTo(1 / 4);
  });
});

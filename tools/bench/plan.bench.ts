/**
 * Plan-phase benchmark: ranking 100 policies, and a whole planning decision (rank +
 * explanation + guardrails) for one diagnosis.
 *
 *   npx tsx tools/bench/plan.bench.ts
 *
 * plan.rank_100_ms       mean time of DecisionEngine.rank() over 100 applicable policies
 *                        with learned statistics and diagnosis evidence (seed target < 1 ms)
 * plan.rank_100_p99_ms   p99 of the same
 * plan.decision_p99_ms   p99 of Planner.plan() (decide + explanation + guardrails admit)
 *                        with the 17 default policies, 500 components (seed target < 3 ms)
 * plan.decision_100_p99_ms  the same with 100 policies
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LatencyWindow } from '@x0/core';
import { DecisionEngine, Planner, loadPolicyFile, type DecisionInput, type Policy } from '@x0/decision';
import { Guardrails } from '@x0/guardrails';
import { runWhenMain, type Figure } from './figure';


const ACTIONS = ['scale_up', 'restart', 'throttle', 'failover', 'clear_cache', 'rollback'];
const CAUSES = ['cpu_saturation', 'memory_leak', 'latency_spike', 'error_burst', 'disk_full', 'queue_backlog', 'dependency_down', 'unknown'];

function hundredPolicies(): Policy[] {
  return Array.from({ length: 100 }, (_, i) => ({
    id: `p-${i}`,
    action: ACTIONS[i % ACTIONS.length],
    params: { delta: String(1 + (i % 3)) },
    priority: (i * 37) % 101,
    // Every policy applies to the benchmark input: the worst case for ranking.
    conditions: { component: i % 2 ? 'web-*' : '*', kinds: i % 3 ? ['web', 'api'] : [], minSeverity: 'low', causes: i % 4 ? [CAUSES[0], CAUSES[i % CAUSES.length]] : [] },
    risk: 'low',
    cooldownS: 0,
    enabled: true,
    dryRun: false,
    executor: 'agent',
    description: '',
  }));
}

function measure(iterations: number, fn: (i: number) => void): { mean: number; p99: number } {
  for (let i = 0; i < Math.min(2000, iterations); i++) fn(i);
  const w = new LatencyWindow(iterations);
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    fn(i);
    w.record(performance.now() - t0);
  }
  return { mean: (performance.now() - start) / iterations, p99: w.snapshot().p99 };
}

function planner(policies: Policy[], clock: { now: number }): Planner {
  const engine = new DecisionEngine({ policies, clock: () => clock.now });
  // Generous limits: the benchmark measures the work of a decision, not how often it is blocked.
  const guardrails = new Guardrails({
    clock: () => clock.now,
    config: {
      stabilisation: { minConsecutive: 1 },
      rateLimit: { component: { max: 1_000_000 }, global: { max: 1_000_000 } },
      blastRadius: { maxPerGroup: 1_000_000, maxFraction: 1, inFlightTimeoutS: 1 },
      cooldown: { enabled: false },
    },
  });
  const p = new Planner({ engine, guardrails });
  for (let i = 0; i < 2000; i++) {
    const policy = policies[i % policies.length];
    p.recordOutcome({ policyId: policy.id, action: policy.action, component: `web-${i % 500}`, recovered: i % 3 !== 0, timeMs: clock.now - i * 1000 });
  }
  return p;
}

export async function run(): Promise<Figure[]> {
  const clock = { now: Date.UTC(2025, 0, 1) };
  const policies = hundredPolicies();
  const engine = new DecisionEngine({ policies, clock: () => clock.now });
  for (let i = 0; i < 5000; i++) {
    const p = policies[i % 100];
    engine.recordOutcome({ policyId: p.id, action: p.action, component: `web-${i % 50}`, recovered: i % 3 !== 0, timeMs: clock.now - i * 1000 });
  }
  const input: DecisionInput = {
    component: 'web-7',
    kind: 'web',
    severity: 'high',
    cause: 'cpu_saturation',
    availableActions: ACTIONS,
    evidence: [
      { action: 'restart', similarIncidents: 12, successes: 9, support: 0.8 },
      { action: 'scale_up', similarIncidents: 4, successes: 4, support: 0.6 },
    ],
  };
  if (engine.rank(input).candidates.length !== 100) throw new Error('benchmark input must match all 100 policies');
  const rank = measure(50_000, () => engine.rank(input));

  const decisionP99 = (ps: Policy[], label: string): Figure => {
    const p = planner(ps, clock);
    const r = measure(20_000, (i) => {
      clock.now += 10;
      const d = p.plan({ ...input, component: `web-${i % 500}`, cause: CAUSES[i % CAUSES.length], severity: 'high' });
      if (!d.explanation.summary) throw new Error('no explanation');
    });
    return { bench: label, value: round(r.p99), unit: 'ms' };
  };
  const defaults = await loadPolicyFile(path.resolve(__dirname, '../../deploy/policies.yaml'));
  return [
    { bench: 'plan.rank_100_ms', value: round(rank.mean), unit: 'ms' },
    { bench: 'plan.rank_100_p99_ms', value: round(rank.p99), unit: 'ms' },
    decisionP99(defaults, 'plan.decision_p99_ms'),
    decisionP99(policies, 'plan.decision_100_p99_ms'),
  ];
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

runWhenMain(module, run);

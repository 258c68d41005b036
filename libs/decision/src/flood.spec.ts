import { seededRandom } from '@x0/core';
import { Guardrails } from '@x0/guardrails';
import { DecisionEngine } from './decision-engine';
import { Planner } from './planner';
import { makePolicy, manualClock } from './testing';

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
const rng = seededRandom;

const RATE_C = { max: 2, windowS: 120 };
const RATE_G = { max: 12, windowS: 30 };
const BLAST = { maxPerGroup: 4, maxFraction: 0.2, inFlightTimeoutS: 90 };
const APPROVAL = { timeoutS: 900 };
const GROUPS: Record<string, number> = { web: 30, db: 10, queue: 20 };
const CAUSES = ['cpu_saturation', 'memory_leak', 'latency_spike', 'queue_backlog', 'dependency_down'];

interface Admitted {
  t: number;
  component: string;
  kind: string;
  action: string;
  /** Put to an operator: its slot lasts max(inFlightTimeoutS, approval timeoutS) without a decision or outcome. */
  held: boolean;
  /** When it stopped being in flight (outcome or release); Infinity if never. */
  endT: number;
}

describe('flood', () => {
  it('flood - many anomalies on many components: no admitted action breaks a rate limit, the blast radius or a cooldown', () => {
    const random = rng(42);
    const clock = manualClock(0);
    const policies = [
      makePolicy({ id: 'scale', action: 'scale_up', priority: 80, cooldownS: 300, conditions: { causes: ['cpu_saturation', 'latency_spike', 'queue_backlog'] } }),
      makePolicy({ id: 'restart', action: 'restart', priority: 60, cooldownS: 600, risk: 'medium' }),
      makePolicy({ id: 'throttle', action: 'throttle', priority: 40, cooldownS: 120 }),
      makePolicy({ id: 'failover', action: 'failover', priority: 90, risk: 'high', cooldownS: 900, conditions: { causes: ['dependency_down'], kinds: ['db'] } }),
    ];
    const engine = new DecisionEngine({ policies, clock: clock.fn });
    const guardrails = new Guardrails({
      clock: clock.fn,
      config: {
        rateLimit: { component: RATE_C, global: RATE_G },
        blastRadius: BLAST,
        approval: APPROVAL,
        stabilisation: { minConsecutive: 2, minPersistS: 20, episodeGapS: 60, flapWindowS: 120 },
        circuitBreaker: { policy: { failures: 5, coolOffS: 120 }, global: { failures: 25, coolOffS: 60 } },
      },
    });
    const planner = new Planner({ engine, guardrails });
    const components = Object.entries(GROUPS).flatMap(([kind, n]) => Array.from({ length: n }, (_, i) => ({ component: `${kind}-${i}`, kind })));
    // Events due at a time: outcomes and approval decisions.
    const due = new Map<number, Array<() => void>>();
    const at = (t: number, f: () => void) => (due.get(t) ?? due.set(t, []).get(t)!).push(f);

    const admitted: Admitted[] = [];
    const blockedBy = new Map<string, number>();
    let plans = 0;
    for (let t = 0; t < 1800; t++) {
      clock.now = t * 1000;
      for (const f of due.get(t) ?? []) f();
      due.delete(t);
      // A storm: ~15 anomalies a second, concentrated on a third of the components.
      for (let k = 0; k < 15; k++) {
        const { component, kind } = components[Math.floor(random() * random() * components.length)];
        const cause = CAUSES[Math.floor(random() * CAUSES.length)];
        // Each plan holds its own slot: a late outcome of an earlier plan does not free a newer one's.
        const planId = `pl_${++plans}`;
        const d = planner.plan({ component, kind, severity: 'high', cause, groupSize: GROUPS[kind], planId });
        if (d.status === 'blocked') {
          for (const c of d.verdict!.checks) if (c.status === 'blocked') blockedBy.set(c.guard.replace(/\(.*\)/, ''), (blockedBy.get(c.guard.replace(/\(.*\)/, '')) ?? 0) + 1);
          continue;
        }
        if (d.status !== 'dispatch' && d.status !== 'pending_approval') continue;
        const a: Admitted = { t, component, kind, action: d.action!, held: d.status === 'pending_approval', endT: Infinity };
        admitted.push(a);
        const policyId = d.policy!.id;
        const finish = (delay: number) => {
          if (random() < 0.1) return; // the outcome is lost: only the in-flight timeout frees the slot
          at(t + delay, () => {
            a.endT = Math.min(a.endT, t + delay);
            planner.recordOutcome({ policyId, action: a.action, component, recovered: random() < 0.6, timeMs: clock.now, planId });
          });
        };
        if (d.status === 'pending_approval') {
          // Operators reject half of the held actions after 10 s; approved ones run.
          if (random() < 0.5) {
            at(t + 10, () => {
              a.endT = Math.min(a.endT, t + 10);
              guardrails.release(component, a.action, planId);
            });
          } else finish(10 + 5 + Math.floor(random() * 150));
        } else finish(5 + Math.floor(random() * 150));
      }
    }

    // Independent re-check of every admitted action against the limits.
    const inFlightAt = (x: Admitted, t: number) => x.t <= t && t - x.t < (x.held ? Math.max(BLAST.inFlightTimeoutS, APPROVAL.timeoutS) : BLAST.inFlightTimeoutS) && x.endT > t;
    for (let i = 0; i < admitted.length; i++) {
      const a = admitted[i];
      const before = admitted.slice(0, i + 1);
      const sameComponent = before.filter((x) => x.component === a.component && a.t - x.t < RATE_C.windowS);
      expect(sameComponent.length).toBeLessThanOrEqual(RATE_C.max);
      expect(before.filter((x) => a.t - x.t < RATE_G.windowS).length).toBeLessThanOrEqual(RATE_G.max);
      const limit = Math.max(1, Math.min(BLAST.maxPerGroup, Math.floor(BLAST.maxFraction * GROUPS[a.kind])));
      const busy = new Set(before.filter((x) => x.kind === a.kind && inFlightAt(x, a.t)).map((x) => x.component));
      expect(busy.size).toBeLessThanOrEqual(limit);
      const cooldown = policies.find((p) => p.action === a.action)!.cooldownS;
      const repeat = before.slice(0, -1).find((x) => x.component === a.component && x.action === a.action && a.t - x.t < cooldown);
      expect(repeat).toBeUndefined();
    }
    // The storm really pushed against every limit, and actions still got through.
    expect(plans).toBe(27_000);
    expect(admitted.length).toBeGreaterThan(200);
    for (const guard of ['rate_limit', 'blast_radius', 'stabilisation', 'cooldown']) expect(blockedBy.get(guard) ?? 0).toBeGreaterThan(0);
  });
});

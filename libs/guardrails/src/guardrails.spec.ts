import { InvalidArgumentError } from '@x0/core';
import { Guardrails, type GuardrailsOptions } from './guardrails';
import { ManualClock } from './testing';
import type { DecisionContext } from './types';

/** Guardrails with every guard off except those a test turns on. */
function only(config: GuardrailsOptions['config'], clock = new ManualClock()) {
  const off = { enabled: false };
  const base = {
    approval: off,
    cooldown: off,
    rateLimit: { component: off, global: off },
    blastRadius: off,
    circuitBreaker: { policy: off, global: off },
    stabilisation: off,
  };
  const merged = { ...base, ...config, rateLimit: { ...base.rateLimit, ...config?.rateLimit }, circuitBreaker: { ...base.circuitBreaker, ...config?.circuitBreaker } };
  return { g: new Guardrails({ config: merged, clock: clock.fn }), clock };
}

const ctx = (over: Partial<DecisionContext> = {}): DecisionContext => ({
  component: 'web-1',
  kind: 'web',
  policyId: 'web-restart',
  action: 'restart',
  risk: 'low',
  cooldownS: 60,
  ...over,
});

function line(v: { lines: string[] }, prefix: string): string | undefined {
  return v.lines.find((l) => l.startsWith(prefix));
}

describe('guardrails', () => {
  it('evaluate - everything off allows and says so in each line', () => {
    const { g } = only({});
    const v = g.evaluate(ctx());
    expect(v.verdict).toBe('allow');
    expect(v.lines).toEqual([
      'dry_run: off',
      'stabilisation: off',
      'circuit_breaker(global): off',
      'circuit_breaker(policy web-restart): off',
      'cooldown: off',
      'rate_limit(component): off',
      'rate_limit(global): off',
      'blast_radius(web): off',
      'approval: off',
    ]);
  });

  it('defaults - every guard is on except dry-run', () => {
    const g = new Guardrails();
    expect(g.evaluate(ctx()).lines.filter((l) => l.endsWith(': off'))).toEqual(['dry_run: off']);
  });

  it('evaluate - does not change state; admit does', () => {
    const { g } = only({ rateLimit: { component: { max: 1 } } });
    expect(g.evaluate(ctx()).verdict).toBe('allow');
    expect(g.evaluate(ctx()).verdict).toBe('allow');
    expect(g.admit(ctx()).verdict).toBe('allow');
    expect(g.evaluate(ctx()).verdict).toBe('block');
  });

  describe('dry_run', () => {
    it('global dry-run turns allow into dry_run; setDryRun toggles it at run time', () => {
      const { g } = only({ dryRun: true });
      const v = g.evaluate(ctx());
      expect(v.verdict).toBe('dry_run');
      expect(line(v, 'dry_run')).toBe('dry_run: dry_run — global dry-run is on');
      g.setDryRun(false);
      expect(g.evaluate(ctx()).verdict).toBe('allow');
    });

    it('per-policy dry-run', () => {
      const { g } = only({});
      const v = g.evaluate(ctx({ dryRun: true }));
      expect(v.verdict).toBe('dry_run');
      expect(line(v, 'dry_run')).toBe('dry_run: dry_run — policy web-restart is dry-run');
    });

    it('dry-run wins over approval; a block wins over dry-run', () => {
      const { g } = only({ dryRun: true, approval: { enabled: true, minRisk: 'high' }, cooldown: { enabled: true } });
      expect(g.admit(ctx({ risk: 'high' })).verdict).toBe('dry_run');
      expect(g.evaluate(ctx({ risk: 'high' })).verdict).toBe('block');
    });
  });

  describe('approval', () => {
    it('actions at or above minRisk need approval', () => {
      const { g } = only({ approval: { enabled: true, minRisk: 'medium', timeoutS: 120 } });
      expect(g.evaluate(ctx({ risk: 'low' })).verdict).toBe('allow');
      const v = g.evaluate(ctx({ risk: 'medium' }));
      expect(v.verdict).toBe('needs_approval');
      expect(line(v, 'approval')).toBe('approval: needs_approval — risk medium ≥ medium; expires in 2m');
      expect(g.evaluate(ctx({ risk: 'high' })).verdict).toBe('needs_approval');
    });

    it('an action already put to an operator is not asked again until its outcome or release', () => {
      const { g, clock } = only({ approval: { enabled: true, minRisk: 'high' } });
      expect(g.admit(ctx({ risk: 'high', action: 'rollback' })).verdict).toBe('needs_approval');
      clock.advanceS(30);
      const v = g.evaluate(ctx({ risk: 'high', action: 'rollback' }));
      expect(v.verdict).toBe('block');
      expect(line(v, 'approval')).toBe('approval: blocked — rollback on web-1 was put to an operator 30s ago and is not finished');
      expect(v.checks.find((c) => c.guard === 'approval')?.scope).toBe('action');
      // Other actions and other components are not affected; a low-risk action never is.
      expect(g.evaluate(ctx({ risk: 'high', action: 'failover' })).verdict).toBe('needs_approval');
      expect(g.evaluate(ctx({ risk: 'high', action: 'rollback', component: 'web-2' })).verdict).toBe('needs_approval');
      expect(g.evaluate(ctx({ risk: 'low', action: 'restart' })).verdict).toBe('allow');
      g.release('web-1', 'rollback'); // rejected or expired
      expect(g.evaluate(ctx({ risk: 'high', action: 'rollback' })).verdict).toBe('needs_approval');
    });

    it('release - a late rejection or expiry of an earlier plan does not free a newer plan\'s slot', () => {
      const { g, clock } = only({ approval: { enabled: true, minRisk: 'high' } });
      const failover = ctx({ component: 'db-1', kind: 'db', risk: 'high', action: 'failover' });
      expect(g.admit({ ...failover, planId: 'pl_1' }).verdict).toBe('needs_approval');
      expect(g.release('db-1', 'failover', 'pl_1')).toBe(true); // pl_1 expired
      clock.advanceS(10);
      expect(g.admit({ ...failover, planId: 'pl_2' }).verdict).toBe('needs_approval');
      clock.advanceS(5);
      // pl_1's expiry delivered again: pl_2 is still with the operator, not asked a second time.
      expect(g.release('db-1', 'failover', 'pl_1')).toBe(false);
      expect(line(g.evaluate(failover), 'approval')).toBe('approval: blocked — failover on db-1 was put to an operator 5s ago and is not finished');
      // Nor does an outcome of pl_1; pl_2's own decision does free it.
      g.recordOutcome({ component: 'db-1', policyId: 'web-restart', action: 'failover', success: false, planId: 'pl_1' });
      expect(g.evaluate(failover).verdict).toBe('block');
      expect(g.release('db-1', 'failover', 'pl_2')).toBe(true);
      expect(g.evaluate(failover).verdict).toBe('needs_approval');
      // A caller without plan ids frees the slot as before.
      g.admit({ ...failover, planId: 'pl_3' });
      expect(g.release('db-1', 'failover')).toBe(true);
      expect(g.evaluate(failover).verdict).toBe('needs_approval');
    });

    it('a slot held for approval lasts as long as the approval (approval.timeoutS > inFlightTimeoutS): not put to an operator twice', () => {
      // Defaults: inFlightTimeoutS 600, approval.timeoutS 900.
      const { g, clock } = only({ approval: { enabled: true, minRisk: 'high' } });
      const failover = ctx({ component: 'db-1', kind: 'db', risk: 'high', action: 'failover' });
      expect(g.admit({ ...failover, planId: 'pl_1' }).verdict).toBe('needs_approval');
      expect(g.admit(ctx({ component: 'web-1', planId: 'pl_r' })).verdict).toBe('allow'); // no approval: inFlightTimeoutS
      clock.advanceS(11 * 60);
      // The incident is announced again at 11 min; pl_1's approval can still be granted until 15 min.
      const again = g.admit({ ...failover, planId: 'pl_2' });
      expect(again.verdict).toBe('block');
      expect(line(again, 'approval')).toBe('approval: blocked — failover on db-1 was put to an operator 11m ago and is not finished');
      expect(g.status().inFlight).toEqual({ db: 1, web: 0 });
      // pl_1's slot is left as it was by the blocked request, and ends with the approval's lifetime.
      clock.advanceS(4 * 60 - 1);
      expect(g.evaluate(failover).verdict).toBe('block');
      clock.advanceS(2);
      expect(g.evaluate(failover).verdict).toBe('needs_approval');
      expect(g.status().inFlight).toEqual({});
      expect(g.release('db-1', 'failover', 'pl_1')).toBe(false); // already free
    });

    it('approved - the slot lasts inFlightTimeoutS from the approval, not approval.timeoutS from the request', () => {
      // Defaults: inFlightTimeoutS 600, approval.timeoutS 900.
      const { g, clock } = only({ approval: { enabled: true, minRisk: 'high' } });
      const t0 = clock.now;
      const failover = (component: string) => ctx({ component, kind: 'db', risk: 'high', action: 'failover' });
      expect(g.admit({ ...failover('db-1'), planId: 'pl_1' }).verdict).toBe('needs_approval');
      expect(g.admit({ ...failover('db-2'), planId: 'pl_2' }).verdict).toBe('needs_approval');
      // db-1 approved late (14 min in): it runs from then, and holds its slot 10 min more.
      clock.now = t0 + 14 * 60_000;
      expect(g.approved('db-1', 'failover', { planId: 'pl_1' })).toBe(true);
      // db-2 approved early (1 min in, delivered now with its own time).
      expect(g.approved('db-2', 'failover', { planId: 'pl_2', atMs: t0 + 60_000 })).toBe(true);
      // Another plan's approval, or one for a slot that is free, changes nothing.
      expect(g.approved('db-1', 'failover', { planId: 'pl_0' })).toBe(false);
      expect(g.approved('db-3', 'failover', { planId: 'pl_3' })).toBe(false);
      clock.now = t0 + 11 * 60_000 + 1;
      expect(g.evaluate(failover('db-2')).verdict).toBe('needs_approval');
      clock.now = t0 + 20 * 60_000;
      expect(line(g.evaluate(failover('db-1')), 'approval')).toBe('approval: blocked — failover on db-1 was put to an operator 20m ago and is not finished');
      clock.now = t0 + 24 * 60_000;
      expect(g.evaluate(failover('db-1')).verdict).toBe('needs_approval');
    });

    it('a held action keeps an in-flight timeout longer than the approval timeout', () => {
      const { g, clock } = only({ approval: { enabled: true, minRisk: 'high', timeoutS: 60 }, blastRadius: { enabled: false, inFlightTimeoutS: 600 } });
      const rollback = ctx({ risk: 'high', action: 'rollback' });
      expect(g.admit(rollback).verdict).toBe('needs_approval');
      clock.advanceS(599);
      expect(g.evaluate(rollback).verdict).toBe('block');
      clock.advanceS(1);
      expect(g.evaluate(rollback).verdict).toBe('needs_approval');
    });
  });

  describe('restore', () => {
    it('restore - actions admitted before a restart count again at their own times', () => {
      const clock = new ManualClock();
      const { g } = only(
        { approval: { enabled: true, minRisk: 'high' }, cooldown: { enabled: true }, rateLimit: { component: { enabled: true, max: 2, windowS: 300 } }, blastRadius: { enabled: true, maxPerGroup: 1, inFlightTimeoutS: 600 } },
        clock,
      );
      const t0 = clock.now;
      clock.advanceS(60);
      // Out of order on purpose: restore sorts by time.
      g.restore([
        { component: 'db-1', kind: 'db', action: 'failover', atMs: t0 + 45_000, inFlight: true },
        { component: 'db-1', kind: 'db', action: 'restart', atMs: t0, inFlight: false, cooldownS: 120 },
      ]);
      const failover = g.evaluate(ctx({ component: 'db-1', kind: 'db', action: 'failover', risk: 'high' }));
      expect(line(failover, 'approval')).toBe('approval: blocked — failover on db-1 was put to an operator 15s ago and is not finished');
      expect(line(failover, 'rate_limit(component)')).toBe('rate_limit(component): blocked — 2 actions in 5m, limit 2; next slot in 4m');
      expect(line(g.evaluate(ctx({ component: 'db-1', kind: 'db', cooldownS: 120 })), 'cooldown')).toBe('cooldown: blocked — restart on db-1 1m ago, cooldown 2m');
      expect(line(g.evaluate(ctx({ component: 'db-2', kind: 'db' })), 'blast_radius(db)')).toBe('blast_radius(db): blocked — 1 of 2 db components in flight, limit 1');
      // The restored slot ends like any other: by release, or inFlightTimeoutS after its own time.
      clock.now = t0 + 45_000 + 600_000;
      expect(line(g.evaluate(ctx({ component: 'db-1', kind: 'db', action: 'failover', risk: 'high' })), 'approval')).toBe('approval: needs_approval — risk high ≥ high; expires in 15m');
      expect(() => g.restore([{ component: '', action: 'x', atMs: 0, inFlight: false }])).toThrow(`'actions[0].component' must be non-empty`);
      // Checked before anything changes: the good entry before the bad one is not counted either.
      const fresh = new Guardrails({ config: { stabilisation: { enabled: false } }, clock: () => 0 });
      expect(() => fresh.restore([{ component: 'c1', action: 'restart', atMs: 0, inFlight: true }, { component: 'c2', action: '', atMs: 0, inFlight: true }])).toThrow(
        `'actions[1].action' must be non-empty`,
      );
      expect(fresh.status().inFlight).toEqual({});
    });

    it('restore - a restored slot is held by its plan: a late event of an earlier plan does not free it', () => {
      const { g, clock } = only({ approval: { enabled: true, minRisk: 'high' } });
      const t0 = clock.now;
      clock.advanceS(60);
      g.restore([
        { component: 'db-1', action: 'failover', atMs: t0, inFlight: false, planId: 'pl_1' },
        { component: 'db-1', action: 'failover', atMs: t0 + 30_000, inFlight: true, planId: 'pl_2' },
      ]);
      const failover = ctx({ component: 'db-1', action: 'failover', risk: 'high' });
      expect(g.release('db-1', 'failover', 'pl_1')).toBe(false);
      expect(line(g.evaluate(failover), 'approval')).toBe('approval: blocked — failover on db-1 was put to an operator 30s ago and is not finished');
      expect(g.release('db-1', 'failover', 'pl_2')).toBe(true);
      expect(g.evaluate(failover).verdict).toBe('needs_approval');
    });

    it('restore - a restored action held for approval keeps its slot as long as the approval lives', () => {
      const { g, clock } = only({ approval: { enabled: true, minRisk: 'high' } });
      const t0 = clock.now;
      clock.advanceS(11 * 60);
      g.restore([
        { component: 'db-1', action: 'failover', atMs: t0, inFlight: true, planId: 'pl_1', heldForApproval: true },
        { component: 'db-2', action: 'failover', atMs: t0, inFlight: true, planId: 'pl_2' },
      ]);
      const failover = (component: string) => ctx({ component, action: 'failover', risk: 'high' });
      expect(line(g.evaluate(failover('db-1')), 'approval')).toBe('approval: blocked — failover on db-1 was put to an operator 11m ago and is not finished');
      // Not held for approval: inFlightTimeoutS (10 min) is over.
      expect(g.evaluate(failover('db-2')).verdict).toBe('needs_approval');
      clock.now = t0 + 900_000;
      expect(g.evaluate(failover('db-1')).verdict).toBe('needs_approval');
    });
    it('restore - a restored approved action holds its slot inFlightTimeoutS from its approval', () => {
      const { g, clock } = only({ approval: { enabled: true, minRisk: 'high' } });
      const t0 = clock.now;
      clock.advanceS(16 * 60);
      g.restore([
        { component: 'db-1', action: 'failover', atMs: t0, inFlight: true, planId: 'pl_1', heldForApproval: true, approvedAtMs: t0 + 14 * 60_000 },
        { component: 'db-2', action: 'failover', atMs: t0 + 5 * 60_000, inFlight: true, planId: 'pl_2', heldForApproval: true, approvedAtMs: t0 + 5 * 60_000 + 30_000 },
      ]);
      const failover = (component: string) => ctx({ component, action: 'failover', risk: 'high' });
      expect(line(g.evaluate(failover('db-1')), 'approval')).toBe('approval: blocked — failover on db-1 was put to an operator 16m ago and is not finished');
      expect(g.evaluate(failover('db-2')).verdict).toBe('needs_approval'); // 10 min after its approval
      clock.now = t0 + 24 * 60_000;
      expect(g.evaluate(failover('db-1')).verdict).toBe('needs_approval');
    });
    it('restore - breakers and stabilisation are rebuilt from the outcomes and anomalies, in the order of their times', () => {
      const { g, clock } = only({
        circuitBreaker: { policy: { enabled: true, failures: 2, coolOffS: 600 }, global: { enabled: true, failures: 3, coolOffS: 900 } },
        stabilisation: { enabled: true, minConsecutive: 1, minPersistS: 0, flapWindowS: 600 },
      });
      const t0 = clock.now;
      clock.now = t0 + 5 * 60_000;
      const failed = (component: string, planId: string, atMs: number) => ({ component, policyId: 'web-restart', action: 'restart', planId, success: false, atMs });
      g.restore(
        [
          { component: 'web-1', action: 'restart', atMs: t0, inFlight: false, planId: 'pl_1', policyId: 'web-restart' },
          { component: 'web-2', action: 'restart', atMs: t0, inFlight: false, planId: 'pl_2', policyId: 'web-restart' },
          { component: 'web-3', action: 'restart', atMs: t0, inFlight: false, planId: 'pl_3', policyId: 'web-restart' },
          { component: 'db-1', action: 'failover', atMs: t0, inFlight: false, planId: 'pl_4', policyId: 'db-failover' },
        ],
        {
          // Out of order on purpose: replayed by time.
          outcomes: [
            failed('web-3', 'pl_3', t0 + 3 * 60_000),
            failed('web-1', 'pl_1', t0 + 60_000),
            failed('web-2', 'pl_2', t0 + 2 * 60_000),
            { component: 'db-1', policyId: 'db-failover', action: 'failover', planId: 'pl_4', success: true, atMs: t0 + 30_000 },
          ],
          anomalies: [{ component: 'db-1', kind: 'db', atMs: t0 + 4 * 60_000 }],
        },
      );
      const v = g.evaluate(ctx({ component: 'db-1', kind: 'db', policyId: 'db-failover', action: 'failover' }));
      expect(line(v, 'circuit_breaker(global)')).toBe('circuit_breaker(global): blocked — open after 3 consecutive failed outcomes; half-open in 13m');
      expect(line(v, 'stabilisation')).toBe('stabilisation: blocked — flapping: recovered 4m30s ago and anomalous again; no automatic action for 5m30s');
      expect(line(g.evaluate(ctx()), 'circuit_breaker(policy')).toBe('circuit_breaker(policy web-restart): blocked — open after 2 consecutive failed outcomes; half-open in 7m');
      expect(g.status()).toMatchObject({ breakers: [{ key: 'web-restart', state: 'open' }], globalBreaker: 'open' });
      // A bad entry is named; nothing is changed.
      const fresh = only({ circuitBreaker: { policy: { enabled: true, failures: 1 } } });
      expect(() => fresh.g.restore([], { outcomes: [{ ...failed('web-1', 'pl_1', fresh.clock.now), policyId: '' }] })).toThrow(`'history.outcomes[0].policyId' must be non-empty`);
      expect(() => fresh.g.restore([], { anomalies: [{ component: '', atMs: 0 }] })).toThrow(`'history.anomalies[0].component' must be non-empty`);
      expect(fresh.g.status().breakers).toEqual([]);
    });

    it('restore - a half-open breaker keeps its restored trial: only that action\'s outcome settles it', () => {
      const { g, clock } = only({ circuitBreaker: { policy: { enabled: true, failures: 1, coolOffS: 60 } } });
      const t0 = clock.now;
      clock.now = t0 + 90_000;
      g.restore(
        [
          { component: 'web-1', action: 'restart', atMs: t0, inFlight: false, planId: 'pl_old', policyId: 'web-restart' },
          { component: 'web-2', action: 'restart', atMs: t0, inFlight: false, planId: 'pl_fail', policyId: 'web-restart' },
          // Dispatched once half-open (60 s after the failure): the trial. A dry run is none.
          { component: 'web-4', action: 'restart', atMs: t0 + 62_000, inFlight: false, planId: 'pl_dry', policyId: 'web-restart', dryRun: true },
          { component: 'web-3', action: 'restart', atMs: t0 + 61_000, inFlight: true, planId: 'pl_trial', policyId: 'web-restart' },
        ],
        { outcomes: [{ component: 'web-2', policyId: 'web-restart', action: 'restart', planId: 'pl_fail', success: false, atMs: t0 + 1000 }] },
      );
      expect(line(g.evaluate(ctx({ component: 'web-9' })), 'circuit_breaker(policy')).toBe('circuit_breaker(policy web-restart): blocked — half-open: a trial action is in flight');
      g.recordOutcome({ component: 'web-1', policyId: 'web-restart', action: 'restart', planId: 'pl_old', success: true });
      expect(g.status().breakers).toEqual([{ key: 'web-restart', state: 'half_open' }]);
      g.recordOutcome({ component: 'web-3', policyId: 'web-restart', action: 'restart', planId: 'pl_trial', success: true });
      expect(g.status().breakers).toEqual([]);
    });
  });

  describe('cooldown', () => {
    it('blocks the same action on the same component until the cooldown has passed', () => {
      const { g, clock } = only({ cooldown: { enabled: true } });
      g.admit(ctx({ cooldownS: 120 }));
      clock.advanceS(45);
      const v = g.evaluate(ctx({ cooldownS: 120 }));
      expect(v.verdict).toBe('block');
      expect(line(v, 'cooldown')).toBe('cooldown: blocked — restart on web-1 45s ago, cooldown 2m');
      expect(v.checks.find((c) => c.guard === 'cooldown')?.scope).toBe('action');
      expect(g.evaluate(ctx({ action: 'scale_up' })).verdict).toBe('allow');
      expect(g.evaluate(ctx({ component: 'web-2' })).verdict).toBe('allow');
      clock.advanceS(75);
      expect(line(g.evaluate(ctx({ cooldownS: 120 })), 'cooldown')).toBe('cooldown: ok');
    });

    it('a cooldown started by an action only put to an operator says so (not approved / approved), live and restored', () => {
      const { g, clock } = only({ cooldown: { enabled: true }, approval: { enabled: true, minRisk: 'high' } });
      const failover = (component: string) => ctx({ component, kind: 'queue', policyId: 'dependency-failover', action: 'failover', risk: 'high', cooldownS: 60, planId: `pl_${component}` });
      expect(g.admit(failover('demo-queue')).verdict).toBe('needs_approval');
      expect(g.admit(failover('demo-db')).verdict).toBe('needs_approval');
      clock.advanceS(20);
      g.approved('demo-db', 'failover', { planId: 'pl_demo-db' });
      clock.advanceS(10);
      expect(line(g.evaluate(failover('demo-queue')), 'cooldown')).toBe('cooldown: blocked — failover on demo-queue put to an operator 30s ago and not approved, cooldown 1m');
      expect(line(g.evaluate(failover('demo-db')), 'cooldown')).toBe('cooldown: blocked — failover on demo-db put to an operator 30s ago and approved 10s ago, cooldown 1m');
      // Rejected: it never ran, and the cooldown still keeps it from being put to an operator again at once.
      g.release('demo-queue', 'failover', 'pl_demo-queue');
      expect(line(g.evaluate(failover('demo-queue')), 'cooldown')).toBe('cooldown: blocked — failover on demo-queue put to an operator 30s ago and not approved, cooldown 1m');
      // An action that ran reads as before.
      g.admit(ctx({ component: 'demo-web', cooldownS: 60 }));
      clock.advanceS(5);
      expect(line(g.evaluate(ctx({ component: 'demo-web', cooldownS: 60 })), 'cooldown')).toBe('cooldown: blocked — restart on demo-web 5s ago, cooldown 1m');

      const restored = only({ cooldown: { enabled: true }, approval: { enabled: true, minRisk: 'high' } });
      const t0 = restored.clock.now;
      restored.clock.advanceS(30);
      restored.g.restore([
        { component: 'demo-queue', action: 'failover', atMs: t0, inFlight: false, planId: 'pl_1', heldForApproval: true },
        { component: 'demo-db', action: 'failover', atMs: t0, inFlight: true, planId: 'pl_2', heldForApproval: true, approvedAtMs: t0 + 20_000 },
        { component: 'demo-web', action: 'failover', atMs: t0 - 10_000, inFlight: false, planId: 'pl_3', heldForApproval: true },
        { component: 'demo-web', action: 'failover', atMs: t0, inFlight: false, planId: 'pl_4' },
      ]);
      const cooldown = (component: string) => line(restored.g.evaluate(failover(component)), 'cooldown');
      expect(cooldown('demo-queue')).toBe('cooldown: blocked — failover on demo-queue put to an operator 30s ago and not approved, cooldown 1m');
      expect(cooldown('demo-db')).toBe('cooldown: blocked — failover on demo-db put to an operator 30s ago and approved 10s ago, cooldown 1m');
      expect(cooldown('demo-web')).toBe('cooldown: blocked — failover on demo-web 30s ago, cooldown 1m');
    });

    it('a request withdrawn unanswered (its incident ended) leaves no cooldown: the one before it applies again, live and restored', () => {
      const config = { cooldown: { enabled: true }, approval: { enabled: true, minRisk: 'high' as const } };
      const { g, clock } = only(config);
      const failover = (planId: string) => ctx({ component: 'demo-db', kind: 'db', policyId: 'db-failover', action: 'failover', risk: 'high', cooldownS: 60, planId });
      const cooldown = (guard = g) => line(guard.evaluate(failover('pl_next')), 'cooldown');
      // Nothing before it: once withdrawn, the action may be proposed again at once.
      expect(g.admit(failover('pl_1')).verdict).toBe('needs_approval');
      clock.advanceS(20);
      expect(cooldown()).toBe('cooldown: blocked — failover on demo-db put to an operator 20s ago and not approved, cooldown 1m');
      expect(g.withdrawn('demo-db', 'failover', 'pl_other')).toBe(false); // another plan's slot: nothing changes
      expect(cooldown()).toMatch(/^cooldown: blocked/);
      expect(g.withdrawn('demo-db', 'failover', 'pl_1')).toBe(true);
      expect(cooldown()).toBe('cooldown: ok');
      // A rejected request before it: its cooldown (and how it reads) applies again, to a policy with a longer one.
      expect(g.admit(failover('pl_2')).verdict).toBe('needs_approval');
      expect(g.release('demo-db', 'failover', 'pl_2')).toBe(true); // rejected
      clock.advanceS(60);
      expect(g.admit(failover('pl_3')).verdict).toBe('needs_approval');
      clock.advanceS(30);
      const longer = () => line(g.evaluate({ ...failover('pl_next'), cooldownS: 300 }), 'cooldown');
      expect(longer()).toBe('cooldown: blocked — failover on demo-db put to an operator 30s ago and not approved, cooldown 5m');
      expect(g.withdrawn('demo-db', 'failover', 'pl_3')).toBe(true);
      expect(longer()).toBe('cooldown: blocked — failover on demo-db put to an operator 1m30s ago and not approved, cooldown 5m');
      expect(cooldown()).toBe('cooldown: ok');
      // Approved, then (late) withdrawn: it ran, and its cooldown stays.
      expect(g.admit(failover('pl_4')).verdict).toBe('needs_approval');
      g.approved('demo-db', 'failover', { planId: 'pl_4' });
      expect(g.withdrawn('demo-db', 'failover', 'pl_4')).toBe(true);
      expect(cooldown()).toBe('cooldown: blocked — failover on demo-db put to an operator 0s ago and approved 0s ago, cooldown 1m');

      const restored = only(config);
      const t0 = restored.clock.now;
      restored.clock.advanceS(30);
      restored.g.restore([{ component: 'demo-db', action: 'failover', atMs: t0, inFlight: false, planId: 'pl_1', heldForApproval: true, withdrawn: true }]);
      expect(cooldown(restored.g)).toBe('cooldown: ok');
      restored.g.restore([{ component: 'demo-db', action: 'failover', atMs: t0, inFlight: false, planId: 'pl_5', heldForApproval: true }]);
      expect(cooldown(restored.g)).toMatch(/^cooldown: blocked/);
    });

    it('an approved action\'s cooldown runs from the approval, not from when it was put to the operator, live and restored', () => {
      const config = { cooldown: { enabled: true }, approval: { enabled: true, minRisk: 'high' as const } };
      const { g, clock } = only(config);
      const failover = ctx({ component: 'demo-db', kind: 'db', policyId: 'db-failover', action: 'failover', risk: 'high', cooldownS: 60, planId: 'pl_1' });
      expect(g.admit(failover).verdict).toBe('needs_approval');
      clock.advanceS(50);
      g.approved('demo-db', 'failover', { planId: 'pl_1' });
      // 70 s after it was put to the operator, 20 s after it was approved (and ran): still cooling down.
      clock.advanceS(20);
      expect(line(g.evaluate(failover), 'cooldown')).toBe('cooldown: blocked — failover on demo-db put to an operator 1m10s ago and approved 20s ago, cooldown 1m');
      clock.advanceS(40);
      expect(line(g.evaluate(failover), 'cooldown')).toBe('cooldown: ok');

      const restored = only(config);
      const t0 = restored.clock.now;
      restored.clock.advanceS(70);
      restored.g.restore([{ component: 'demo-db', action: 'failover', atMs: t0, inFlight: false, planId: 'pl_1', heldForApproval: true, approvedAtMs: t0 + 50_000 }]);
      expect(line(restored.g.evaluate(failover), 'cooldown')).toBe('cooldown: blocked — failover on demo-db put to an operator 1m10s ago and approved 20s ago, cooldown 1m');
      restored.clock.advanceS(40);
      expect(line(restored.g.evaluate(failover), 'cooldown')).toBe('cooldown: ok');
    });

    it('uses the configured default when the policy gives none', () => {
      const { g, clock } = only({ cooldown: { enabled: true, defaultS: 10 } });
      g.admit(ctx({ cooldownS: undefined }));
      clock.advanceS(9);
      expect(g.evaluate(ctx({ cooldownS: undefined })).verdict).toBe('block');
      clock.advanceS(1);
      expect(g.evaluate(ctx({ cooldownS: undefined })).verdict).toBe('allow');
    });
  });

  describe('rate_limit', () => {
    it('per component: at most max actions in any window', () => {
      const { g, clock } = only({ rateLimit: { component: { enabled: true, max: 3, windowS: 60 } } });
      for (const action of ['a', 'b', 'c']) {
        expect(g.admit(ctx({ action })).verdict).toBe('allow');
        clock.advanceS(10);
      }
      const v = g.evaluate(ctx({ action: 'd' }));
      expect(line(v, 'rate_limit(component)')).toBe('rate_limit(component): blocked — 3 actions in 1m, limit 3; next slot in 30s');
      expect(v.checks.find((c) => c.guard === 'rate_limit(component)')?.scope).toBe('component');
      expect(g.evaluate(ctx({ action: 'd', component: 'web-2' })).verdict).toBe('allow');
      clock.advanceS(30);
      expect(line(g.evaluate(ctx({ action: 'd' })), 'rate_limit(component)')).toBe('rate_limit(component): ok — 2/3 in 1m');
    });

    it('global: counts every component', () => {
      const { g, clock } = only({ rateLimit: { global: { enabled: true, max: 2, windowS: 10 } } });
      g.admit(ctx({ component: 'a' }));
      g.admit(ctx({ component: 'b' }));
      expect(line(g.evaluate(ctx({ component: 'c' })), 'rate_limit(global)')).toBe('rate_limit(global): blocked — 2 actions in 10s, limit 2; next slot in 10s');
      clock.advanceS(10);
      expect(g.evaluate(ctx({ component: 'c' })).verdict).toBe('allow');
    });

    it('a blocked action is not counted', () => {
      const { g } = only({ rateLimit: { global: { enabled: true, max: 1, windowS: 10 } }, cooldown: { enabled: true } });
      g.admit(ctx());
      expect(g.admit(ctx()).verdict).toBe('block');
      expect(line(g.evaluate(ctx({ component: 'x' })), 'rate_limit(global)')).toMatch(/^rate_limit\(global\): blocked — 1 actions in 10s/);
    });
  });

  describe('blast_radius', () => {
    it('at most maxPerGroup components of a kind in flight; an outcome frees a slot', () => {
      const { g } = only({ blastRadius: { enabled: true, maxPerGroup: 2, maxFraction: 1 } });
      g.admit(ctx({ component: 'web-1' }));
      g.admit(ctx({ component: 'web-2' }));
      const v = g.evaluate(ctx({ component: 'web-3' }));
      expect(line(v, 'blast_radius(web)')).toBe('blast_radius(web): blocked — 2 of 3 web components in flight, limit 2');
      expect(g.evaluate(ctx({ component: 'db-1', kind: 'db' })).verdict).toBe('allow');
      // Another action on a component already in flight does not widen the blast radius.
      expect(line(g.evaluate(ctx({ component: 'web-1', action: 'scale_up' })), 'blast_radius(web)')).toBe(
        'blast_radius(web): ok — 2 of 2 allowed in flight, web-1 already among them (another action on it adds none)',
      );
      g.recordOutcome({ component: 'web-1', policyId: 'web-restart', action: 'restart', success: true });
      expect(g.evaluate(ctx({ component: 'web-3' })).verdict).toBe('allow');
    });

    it('at most maxFraction of the group (at least one)', () => {
      const { g } = only({ blastRadius: { enabled: true, maxPerGroup: 10, maxFraction: 0.25 } });
      for (let i = 0; i < 8; i++) g.registerComponent(`web-${i}`, 'web');
      g.admit(ctx({ component: 'web-0' }));
      g.admit(ctx({ component: 'web-1' }));
      expect(line(g.evaluate(ctx({ component: 'web-2' })), 'blast_radius(web)')).toBe('blast_radius(web): blocked — 2 of 8 web components in flight, limit 2');
      // A caller that knows the group is bigger says so.
      expect(g.evaluate(ctx({ component: 'web-2', groupSize: 40 })).verdict).toBe('allow');
      expect(g.evaluate(ctx({ component: 'solo-1', kind: 'solo' })).verdict).toBe('allow');
    });

    it('an action without outcome stops counting after the in-flight timeout; release frees it', () => {
      const { g, clock } = only({ blastRadius: { enabled: true, maxPerGroup: 1, inFlightTimeoutS: 60 } });
      g.admit(ctx({ component: 'web-1' }));
      expect(g.evaluate(ctx({ component: 'web-2' })).verdict).toBe('block');
      clock.advanceS(60);
      expect(g.evaluate(ctx({ component: 'web-2' })).verdict).toBe('allow');
      g.admit(ctx({ component: 'web-2' }));
      g.release('web-2', 'restart');
      expect(g.evaluate(ctx({ component: 'web-3' })).verdict).toBe('allow');
      expect(g.status().inFlight).toEqual({});
    });

    it('maxPerGroup 0 stops all action on the group', () => {
      const { g } = only({ blastRadius: { enabled: true, maxPerGroup: 0 } });
      expect(g.evaluate(ctx()).verdict).toBe('block');
    });
  });

  describe('circuit_breaker', () => {
    const fail = (g: Guardrails, policyId = 'web-restart', component = 'web-1') =>
      g.recordOutcome({ component, policyId, action: 'restart', success: false });

    it('per policy: opens after K consecutive failed outcomes and says so; half-open after the cool-off', () => {
      const { g, clock } = only({ circuitBreaker: { policy: { enabled: true, failures: 3, coolOffS: 300 } } });
      fail(g);
      fail(g);
      expect(g.evaluate(ctx()).verdict).toBe('allow');
      fail(g);
      const v = g.evaluate(ctx({ component: 'web-9' }));
      expect(v.verdict).toBe('block');
      expect(line(v, 'circuit_breaker(policy')).toBe('circuit_breaker(policy web-restart): blocked — open after 3 consecutive failed outcomes; half-open in 5m');
      expect(g.evaluate(ctx({ policyId: 'web-scale' })).verdict).toBe('allow');
      expect(g.status().breakers).toEqual([{ key: 'web-restart', state: 'open' }]);
      clock.advanceS(300);
      expect(line(g.admit(ctx()), 'circuit_breaker(policy')).toBe('circuit_breaker(policy web-restart): ok — half-open: one trial action allowed');
      expect(g.evaluate(ctx({ component: 'web-2' })).verdict).toBe('block');
      g.recordOutcome({ component: 'web-1', policyId: 'web-restart', action: 'restart', success: true });
      expect(g.evaluate(ctx({ component: 'web-2' })).verdict).toBe('allow');
    });

    it('global: K consecutive failures of any policy stop everything', () => {
      const { g } = only({ circuitBreaker: { global: { enabled: true, failures: 4, coolOffS: 60 } } });
      for (let i = 0; i < 4; i++) fail(g, `p${i}`, `c${i}`);
      const v = g.evaluate(ctx({ policyId: 'fresh', component: 'other' }));
      expect(line(v, 'circuit_breaker(global)')).toBe('circuit_breaker(global): blocked — open after 4 consecutive failed outcomes; half-open in 1m');
      expect(v.checks.find((c) => c.guard === 'circuit_breaker(global)')?.scope).toBe('global');
      expect(g.status().globalBreaker).toBe('open');
    });

    it('global: the failures of one lasting incident count once — it cannot open the breaker alone; the policy breaker counts each', () => {
      const { g } = only({ circuitBreaker: { policy: { enabled: true, failures: 20, coolOffS: 600 }, global: { enabled: true, failures: 3, coolOffS: 900 } } });
      const failed = (component: string, planId: string, incidentId: string) =>
        g.recordOutcome({ component, policyId: 'dependency-throttle', action: 'throttle', planId, incidentId, success: false });
      for (let i = 0; i < 6; i++) failed('demo-queue', `pl_q${i}`, 'an_queue');
      const v = g.evaluate(ctx({ component: 'demo-web', policyId: 'web-restart' }));
      expect(line(v, 'circuit_breaker(global)')).toBe('circuit_breaker(global): ok — 1/3 consecutive failures (6 failed outcomes, one count per incident)');
      expect(line(g.evaluate(ctx({ component: 'demo-web', policyId: 'dependency-throttle' })), 'circuit_breaker(policy')).toBe(
        'circuit_breaker(policy dependency-throttle): ok — 6/20 consecutive failures',
      );
      failed('demo-web', 'pl_w1', 'an_web');
      failed('demo-db', 'pl_d1', 'an_db');
      expect(line(g.evaluate(ctx({ component: 'other' })), 'circuit_breaker(global)')).toBe(
        'circuit_breaker(global): blocked — open after 8 consecutive failed outcomes on 3 incidents; half-open in 15m',
      );
    });

    it('restore - the global breaker counts an incident once when rebuilt too', () => {
      const { g, clock } = only({ circuitBreaker: { global: { enabled: true, failures: 2, coolOffS: 900 } } });
      const t0 = clock.now;
      clock.now = t0 + 5 * 60_000;
      const failed = (planId: string, atMs: number) => ({ component: 'demo-queue', policyId: 'dependency-throttle', action: 'throttle', planId, incidentId: 'an_queue', success: false, atMs });
      g.restore(
        [1, 2, 3].map((i) => ({ component: 'demo-queue', action: 'throttle', atMs: t0 + i * 1000, inFlight: false, planId: `pl_${i}`, policyId: 'dependency-throttle' })),
        { outcomes: [failed('pl_1', t0 + 60_000), failed('pl_2', t0 + 120_000), failed('pl_3', t0 + 180_000)] },
      );
      expect(line(g.evaluate(ctx({ component: 'demo-web' })), 'circuit_breaker(global)')).toBe(
        'circuit_breaker(global): ok — 1/2 consecutive failures (3 failed outcomes, one count per incident)',
      );
    });

    it('half-open: only the trial\'s own outcome settles it; an outcome of an action dispatched earlier does not', () => {
      const { g, clock } = only({ circuitBreaker: { policy: { enabled: true, failures: 1, coolOffS: 60 }, global: { enabled: true, failures: 1, coolOffS: 60 } } });
      const restart = (component: string, planId: string) => ctx({ component, planId });
      const outcome = (component: string, planId: string, success: boolean) => ({ component, policyId: 'web-restart', action: 'restart', planId, success });
      g.admit(restart('web-1', 'pl_old'));
      g.admit(restart('web-2', 'pl_fail'));
      g.recordOutcome(outcome('web-2', 'pl_fail', false));
      clock.advanceS(60);
      expect(g.admit(restart('web-3', 'pl_trial')).verdict).toBe('allow');
      // pl_old was dispatched before the breakers opened: its outcome, either way, settles nothing.
      g.recordOutcome(outcome('web-1', 'pl_old', true));
      g.recordOutcome(outcome('web-1', 'pl_old', false));
      const v = g.evaluate(ctx({ component: 'web-4' }));
      expect(line(v, 'circuit_breaker(global)')).toBe('circuit_breaker(global): blocked — half-open: a trial action is in flight');
      expect(line(v, 'circuit_breaker(policy')).toBe('circuit_breaker(policy web-restart): blocked — half-open: a trial action is in flight');
      // Nor does another plan's outcome for the trial's component and action.
      g.recordOutcome(outcome('web-3', 'pl_other', true));
      expect(g.status()).toMatchObject({ breakers: [{ key: 'web-restart', state: 'half_open' }], globalBreaker: 'half_open' });
      g.recordOutcome(outcome('web-3', 'pl_trial', true));
      expect(g.evaluate(ctx({ component: 'web-4' })).verdict).toBe('allow');
      expect(g.status()).toMatchObject({ breakers: [], globalBreaker: 'closed' });
    });

    it('dry-run outcomes do not count, and a dry run is not the half-open trial', () => {
      const { g, clock } = only({ circuitBreaker: { policy: { enabled: true, failures: 1, coolOffS: 10 } } });
      g.recordOutcome({ component: 'web-1', policyId: 'web-restart', action: 'restart', success: false, dryRun: true });
      expect(g.evaluate(ctx()).verdict).toBe('allow');
      fail(g);
      clock.advanceS(10);
      expect(g.admit(ctx({ dryRun: true })).verdict).toBe('dry_run');
      expect(g.admit(ctx()).verdict).toBe('allow');
      expect(g.evaluate(ctx({ component: 'web-2' })).verdict).toBe('block');
    });
  });

  describe('stabilisation', () => {
    it('blocks until the anomaly persisted; a recovered outcome starts the flap window', () => {
      const { g, clock } = only({ stabilisation: { enabled: true, minConsecutive: 2, minPersistS: 0, flapWindowS: 120 } });
      g.observeAnomaly('web-1', 'web');
      const v = g.evaluate(ctx());
      expect(line(v, 'stabilisation')).toBe('stabilisation: blocked — 1 anomaly over 0s; need 2 in a row');
      expect(v.checks.find((c) => c.guard === 'stabilisation')?.scope).toBe('component');
      clock.advanceS(10);
      g.observeAnomaly('web-1', 'web');
      expect(line(g.admit(ctx()), 'stabilisation')).toBe('stabilisation: ok — 2 anomalies over 10s');
      clock.advanceS(20);
      g.recordOutcome({ component: 'web-1', policyId: 'web-restart', action: 'restart', success: true });
      clock.advanceS(30);
      g.observeAnomaly('web-1', 'web');
      g.observeAnomaly('web-1', 'web');
      expect(line(g.evaluate(ctx()), 'stabilisation')).toBe('stabilisation: blocked — flapping: recovered 30s ago and anomalous again; no automatic action for 1m30s');
      clock.advanceS(90);
      g.observeAnomaly('web-1', 'web');
      expect(g.evaluate(ctx()).verdict).toBe('allow');
    });
  });

  it('evaluate - rejects a malformed context naming the field', () => {
    const g = new Guardrails();
    expect(() => g.evaluate(ctx({ component: '' }))).toThrow(new InvalidArgumentError('component', 'must be non-empty'));
    expect(() => g.evaluate(ctx({ risk: 'extreme' as never }))).toThrow(`'risk' must be one of low, medium, high, got "extreme"`);
    expect(() => g.evaluate(ctx({ cooldownS: -1 }))).toThrow(`'cooldownS' must be ≥ 0`);
  });

  it('config - a bad value names the field', () => {
    expect(() => new Guardrails({ config: { blastRadius: { maxFraction: 2 } } })).toThrow(`'blastRadius.maxFraction' must be ≤ 1`);
    expect(() => new Guardrails({ config: { approval: { minRisk: 'huge' as never } } })).toThrow(/^'approval.minRisk' /);
  });

  it('prune - long runs keep state bounded', () => {
    const { g, clock } = only({ cooldown: { enabled: true }, rateLimit: { component: { enabled: true, max: 1, windowS: 1 } } });
    for (let i = 0; i < 5000; i++) {
      g.admit(ctx({ component: `c${i}`, cooldownS: 1 }));
      clock.advance(100);
    }
    const { state } = g as unknown as { state: { cooldowns: Map<string, number>; heldCooldowns: Map<string, unknown>; componentRate: { size: number } } };
    const internals = { state, componentRate: state.componentRate };
    expect(internals.state.cooldowns.size).toBeLessThan(600);
    expect(internals.state.heldCooldowns.size).toBeLessThanOrEqual(internals.state.cooldowns.size);
    expect(internals.componentRate.size).toBeLessThan(600);
  });
});

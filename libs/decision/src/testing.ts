/** Test helpers: policy builders and a manual clock. */
import type { Policy, PolicyConditions } from './policy';

/** A valid policy with every field defaulted; override what the test is about. */
export function makePolicy(over: Partial<Omit<Policy, 'conditions'>> & { conditions?: Partial<PolicyConditions> } = {}): Policy {
  const { conditions, ...rest } = over;
  return {
    id: 'p-restart',
    action: 'restart',
    params: {},
    priority: 50,
    risk: 'low',
    cooldownS: 300,
    enabled: true,
    dryRun: false,
    executor: 'agent',
    description: '',
    ...rest,
    conditions: { component: '*', kinds: [], minSeverity: 'low', causes: [], ...conditions },
  };
}

/** A clock that moves only when a test sets `now`; pass `fn` as `clock`. */
export function manualClock(start = Date.UTC(2025, 0, 1)): { now: number; fn: () => number } {
  const c = { now: start, fn: () => c.now };
  return c;
}

import { seededRandom as coreSeededRandom } from '@x0/core';
import { gridOf, PARAM_ACTIONS, strengthOf } from './action-space';
import type { Trajectory } from './trajectories';

/** A simulated component: for each action, the mildest parameter value that fixes it. */
export interface SyntheticComponent {
  name: string;
  needs: Record<string, number>;
}

/** Deterministic PRNG (mulberry32). */
export const seededRandom = coreSeededRandom;

/**
 * Whether `component` recovers when `action` is run with `value`: yes (95 %) when the value
 * is at least as strong as its need — one grid step more for a high-severity incident —
 * otherwise rarely (5 %).
 */
export function recovers(component: SyntheticComponent, action: string, value: number, severity: number, rand: () => number): boolean {
  const grid = gridOf(action);
  const needIndex = Math.min(grid.length - 1, grid.indexOf(component.needs[action]) + (severity >= 3 ? 1 : 0));
  const enough = strengthOf(action, value) >= strengthOf(action, grid[Math.max(0, needIndex)]) - 1e-9;
  return rand() < (enough ? 0.95 : 0.05);
}

/**
 * Components with needs drawn from a distribution skewed to mild remedies (most components
 * recover with the first grid step, a few need the strongest): the prior the shipped base
 * model is trained on.
 */
export function priorComponents(count: number, seed: number): SyntheticComponent[] {
  const rand = seededRandom(seed);
  const weights = [0.4, 0.25, 0.15, 0.1, 0.1];
  const draw = (grid: number[]) => {
    // Spread the five weights over grids of any length (throttle has 12 values).
    let u = rand();
    for (let k = 0; k < weights.length; k++) {
      if (u < weights[k]) return grid[Math.min(grid.length - 1, Math.floor(((k + rand()) * grid.length) / weights.length))];
      u -= weights[k];
    }
    return grid[grid.length - 1];
  };
  return Array.from({ length: count }, (_, i) => ({ name: `prior-${i}`, needs: Object.fromEntries(PARAM_ACTIONS.map((a) => [a, draw(gridOf(a))])) }));
}

/**
 * Outcomes of `perComponent` incidents on each component: a random action, a random grid
 * value (exploration), score and severity drawn at random, the outcome from `recovers`.
 */
export function simulateTrajectories(components: readonly SyntheticComponent[], perComponent: number, seed: number, actions: readonly string[] = PARAM_ACTIONS): Trajectory[] {
  const rand = seededRandom(seed);
  const out: Trajectory[] = [];
  let t = 1_700_000_000_000;
  for (const c of components) {
    for (let i = 0; i < perComponent; i++) {
      const action = actions[Math.floor(rand() * actions.length)];
      const grid = gridOf(action);
      const value = grid[Math.floor(rand() * grid.length)];
      const severity = 1 + Math.floor(rand() * 3);
      const score = Math.min(1, 0.5 + 0.15 * severity + 0.1 * rand());
      const ok = recovers(c, action, value, severity, rand);
      out.push({ component: c.name, action, value, score, severity, recovered: ok, timeToRecoverMs: ok ? 2000 + 3000 * rand() : 0, timeMs: (t += 1000) });
    }
  }
  return out;
}

import { InvalidArgumentError } from '@x0/core';
import { z } from 'zod';
import { issueToError } from './validation';

/** What the engine learns from one outcome. */
export interface OutcomeRecord {
  policyId: string;
  action: string;
  component: string;
  /** The component recovered after the action. */
  recovered: boolean;
  /** When the outcome was observed, ms since the epoch. */
  timeMs: number;
}

/** Successes and failures of a policy (overall, or on one component). */
export interface Tally {
  action: string;
  successes: number;
  failures: number;
  /** Last success, ms since the epoch; 0 = never. */
  lastSuccessMs: number;
  /** Last failure, ms since the epoch; 0 = never. */
  lastFailureMs: number;
}

/** Serialisable form of OutcomeStats (what the knowledge service keeps in KV). */
export interface StatsSnapshot {
  version: 1;
  /** policy id → tally over every component. */
  policies: Record<string, Tally>;
  /** component → policy id → tally on that component. */
  components: Record<string, Record<string, Tally>>;
}

const tallySchema = z.strictObject({
  action: z.string(),
  successes: z.number().int().min(0, 'must be ≥ 0'),
  failures: z.number().int().min(0, 'must be ≥ 0'),
  lastSuccessMs: z.number().min(0, 'must be ≥ 0'),
  lastFailureMs: z.number().min(0, 'must be ≥ 0'),
});
const snapshotSchema = z.strictObject({
  version: z.literal(1, 'must be 1'),
  policies: z.record(z.string(), tallySchema),
  components: z.record(z.string(), z.record(z.string(), tallySchema)),
});

/**
 * Outcome counts per policy and per (component, policy): what the decision engine learns.
 * Plain data; export/import round-trips through JSON.
 */
export class OutcomeStats {
  private readonly byPolicy = new Map<string, Tally>();
  private readonly byComponent = new Map<string, Map<string, Tally>>();

  /**
   * Counts one outcome and returns the two updated tallies (for incremental persistence).
   * Throws InvalidArgumentError for a missing id or a bad time.
   */
  record(o: OutcomeRecord): { policy: Tally; component: Tally } {
    if (!o.policyId) throw new InvalidArgumentError('policyId', 'must be non-empty');
    if (!o.component) throw new InvalidArgumentError('component', 'must be non-empty');
    if (!Number.isFinite(o.timeMs) || o.timeMs < 0) throw new InvalidArgumentError('timeMs', 'must be a time in ms since the epoch');
    let perComponent = this.byComponent.get(o.component);
    if (!perComponent) this.byComponent.set(o.component, (perComponent = new Map()));
    return { policy: bump(this.byPolicy, o), component: bump(perComponent, o) };
  }

  /** Tally of a policy over every component. */
  policy(policyId: string): Tally | undefined {
    return this.byPolicy.get(policyId);
  }

  /** Tallies of every policy on one component (undefined when nothing was recorded). */
  forComponent(component: string): ReadonlyMap<string, Tally> | undefined {
    return this.byComponent.get(component);
  }

  /** Everything, as plain data. */
  export(): StatsSnapshot {
    const components: StatsSnapshot['components'] = {};
    for (const [c, m] of this.byComponent) components[c] = Object.fromEntries([...m].map(([k, t]) => [k, { ...t }]));
    return { version: 1, policies: Object.fromEntries([...this.byPolicy].map(([k, t]) => [k, { ...t }])), components };
  }

  /**
   * Replaces the contents with a snapshot (e.g. read back from KV). Throws
   * InvalidArgumentError naming the bad field (`stats.policies.web-restart.successes`).
   */
  import(snapshot: unknown): void {
    const parsed = snapshotSchema.safeParse(snapshot);
    if (!parsed.success) throw issueToError(parsed.error, snapshot, 'stats');
    this.byPolicy.clear();
    this.byComponent.clear();
    for (const [k, t] of Object.entries(parsed.data.policies)) this.byPolicy.set(k, { ...t });
    for (const [c, m] of Object.entries(parsed.data.components)) {
      this.byComponent.set(c, new Map(Object.entries(m).map(([k, t]) => [k, { ...t }])));
    }
  }
}

function bump(map: Map<string, Tally>, o: OutcomeRecord): Tally {
  let t = map.get(o.policyId);
  if (!t) map.set(o.policyId, (t = { action: o.action, successes: 0, failures: 0, lastSuccessMs: 0, lastFailureMs: 0 }));
  t.action = o.action;
  if (o.recovered) {
    t.successes++;
    t.lastSuccessMs = Math.max(t.lastSuccessMs, o.timeMs);
  } else {
    t.failures++;
    t.lastFailureMs = Math.max(t.lastFailureMs, o.timeMs);
  }
  return { ...t };
}

import { IncidentMemory } from './incident-memory';

/** How an action ended on an incident without recovering it. */
export type FailedVerdict = 'not_recovered' | 'action_failed';

/** One action that ended without recovering the incident it was taken for. */
export interface FailedAttempt {
  /** The incident (IncidentContext.incident_id; the anomaly id for an older producer). */
  incidentId: string;
  action: string;
  verdict: FailedVerdict;
  /** When the outcome was known, ms since the epoch. */
  atMs: number;
  /** The plan it ran for: the same outcome fed twice (redelivered, or replayed at a restart) counts once. */
  planId?: string;
}

/** What is known about one action on one incident: how often it failed there, and how. */
export interface AttemptSummary {
  action: string;
  count: number;
  byVerdict: Record<FailedVerdict, number>;
  lastMs: number;
}

/** Settings of IncidentAttempts. */
export interface IncidentAttemptsOptions {
  /** How long an incident is remembered after its last failed action (ms). */
  retentionMs: number;
  /** Most incidents remembered at once; the one whose last failure is oldest goes first (default 10 000). */
  maxIncidents?: number;
}

interface IncidentEntry {
  lastMs: number;
  actions: Map<string, AttemptSummary>;
  plans: Set<string>;
}

const VERDICT_TEXT: Record<FailedVerdict, string> = { not_recovered: 'not recovered', action_failed: 'action failed' };

/**
 * The actions that already failed on each open incident (ended "not recovered" or "action
 * failed"), so the planner does not choose one again for the same incident: a fault that
 * lasts is re-announced with the same incident id, and the action that did nothing the first
 * time does nothing the next. Bounded: an incident is forgotten `retentionMs` after its last
 * failed action (the plan service sets the window it rebuilds its guardrails from at a
 * restart, so what is remembered is the same before and after one), and at most
 * `maxIncidents` are kept.
 */
export class IncidentAttempts {
  readonly retentionMs: number;
  private readonly incidents: IncidentMemory<IncidentEntry>;

  /** Throws InvalidArgumentError for a negative retention or a maxIncidents below 1. */
  constructor(options: IncidentAttemptsOptions) {
    this.incidents = new IncidentMemory(options);
    this.retentionMs = this.incidents.retentionMs;
  }

  /** Number of incidents remembered. */
  get size(): number {
    return this.incidents.size;
  }

  /** Records a failed action; one with a `planId` already recorded for the incident is ignored. Returns whether it counted. */
  record(a: FailedAttempt): boolean {
    if (!a.incidentId || !a.action) return false;
    if (a.planId && this.incidents.peek(a.incidentId)?.plans.has(a.planId)) return false;
    const e = this.incidents.touch(a.incidentId, a.atMs, () => ({ lastMs: a.atMs, actions: new Map(), plans: new Set() }));
    if (a.planId) e.plans.add(a.planId);
    let s = e.actions.get(a.action);
    if (!s) e.actions.set(a.action, (s = { action: a.action, count: 0, byVerdict: { not_recovered: 0, action_failed: 0 }, lastMs: a.atMs }));
    s.count++;
    s.byVerdict[a.verdict]++;
    s.lastMs = Math.max(s.lastMs, a.atMs);
    return true;
  }

  /** How `action` failed on `incidentId` so far, as of `now`; undefined when it did not (or the incident is forgotten). */
  failed(incidentId: string | undefined, action: string, now: number): AttemptSummary | undefined {
    return this.incidents.get(incidentId, now)?.actions.get(action);
  }

  /** Forgets the incidents whose last failure is `retentionMs` or more before `now`. */
  prune(now: number): void {
    this.incidents.prune(now);
  }
}

/** `throttle already tried on this incident ×3 (not recovered)`; mixed verdicts are counted apart. */
export function describeAttempts(s: AttemptSummary): string {
  const kinds = (Object.keys(s.byVerdict) as FailedVerdict[]).filter((v) => s.byVerdict[v] > 0);
  const how = kinds.length === 1 ? VERDICT_TEXT[kinds[0]] : kinds.map((v) => `${s.byVerdict[v]} ${VERDICT_TEXT[v]}`).join(', ');
  return `${s.action} already tried on this incident ×${s.count} (${how})`;
}

import { InvalidArgumentError } from '@x0/core';
import { IncidentMemory } from './incident-memory';

/** How an operator's request ended: the Approval event's decision. */
export type RequestDecision = 'approved' | 'rejected' | 'expired' | 'withdrawn';

/** One action put to an operator for an incident, and how it ended (once it did). */
export interface ApprovalRequest {
  planId: string;
  action: string;
  /** When it was put to an operator (the plan's time), ms since the epoch. */
  atMs: number;
  decision?: RequestDecision;
  /** Who decided ("system" for an expiry or a withdrawal). */
  actor?: string;
  decidedMs?: number;
}

/** Settings of ApprovalRequests. */
export interface ApprovalRequestsOptions {
  /** How long an incident is remembered after its last request or decision (ms). */
  retentionMs: number;
  /** Most incidents remembered at once; the one least recently touched goes first (default 10 000). */
  maxIncidents?: number;
  /** Most requests kept per incident; the oldest beyond it are forgotten, the first one's time is kept (default 50). */
  maxPerIncident?: number;
}

interface IncidentEntry {
  lastMs: number;
  /** When the incident was first put to an operator (kept when older requests are dropped). */
  firstMs: number;
  requests: ApprovalRequest[];
}

/**
 * The actions put to an operator on each open incident and how each request ended, so a lasting
 * incident's next request says it is a repeat (`asked again: pl_… for failover on this incident
 * expired unanswered 15m ago`) and a rejected action is not put to an operator again for the
 * same incident. Bounded by IncidentMemory: an incident is forgotten `retentionMs` after its
 * last request or decision, at most `maxIncidents` are kept and `maxPerIncident` requests each.
 */
export class ApprovalRequests {
  readonly retentionMs: number;
  private readonly maxPerIncident: number;
  private readonly incidents: IncidentMemory<IncidentEntry>;

  /** Throws InvalidArgumentError for a negative retention or a bound below 1. */
  constructor(options: ApprovalRequestsOptions) {
    this.incidents = new IncidentMemory(options);
    const per = options.maxPerIncident ?? 50;
    if (!(Number.isInteger(per) && per >= 1)) throw new InvalidArgumentError('maxPerIncident', 'must be an integer ≥ 1');
    this.retentionMs = this.incidents.retentionMs;
    this.maxPerIncident = per;
  }

  /** Number of incidents remembered. */
  get size(): number {
    return this.incidents.size;
  }

  /** Records that `action` was put to an operator for `incidentId` by plan `planId`; a plan already recorded is left as it is. */
  asked(incidentId: string, r: { planId: string; action: string; atMs: number }): void {
    if (!incidentId || !r.planId || !r.action) return;
    const e = this.touch(incidentId, r.atMs);
    e.firstMs = Math.min(e.firstMs, r.atMs);
    const known = e.requests.find((x) => x.planId === r.planId);
    if (known) {
      known.atMs = Math.min(known.atMs, r.atMs);
      return;
    }
    e.requests.push({ planId: r.planId, action: r.action, atMs: r.atMs });
    e.requests.sort((a, b) => a.atMs - b.atMs);
    if (e.requests.length > this.maxPerIncident) e.requests.splice(0, e.requests.length - this.maxPerIncident);
  }

  /**
   * Records how the request of plan `planId` ended. A decision on a plan not recorded (its plan
   * is older than what was rebuilt) is kept with the decision's time as its request time.
   */
  decided(incidentId: string, d: { planId: string; action: string; decision: RequestDecision; actor?: string; atMs: number }): void {
    if (!incidentId || !d.planId || !d.action) return;
    let r = this.incidents.peek(incidentId)?.requests.find((x) => x.planId === d.planId);
    if (!r) {
      this.asked(incidentId, { planId: d.planId, action: d.action, atMs: d.atMs });
      r = this.incidents.peek(incidentId)!.requests.find((x) => x.planId === d.planId);
      if (!r) return;
    }
    this.touch(incidentId, d.atMs);
    r.decision = d.decision;
    r.decidedMs = d.atMs;
    if (d.actor) r.actor = d.actor;
  }

  /** The requests of `action` on `incidentId` other than plan `exceptPlanId`, oldest first, as of `now`. */
  earlier(incidentId: string | undefined, action: string, now: number, exceptPlanId?: string): ApprovalRequest[] {
    const e = this.entry(incidentId, now);
    return e ? e.requests.filter((r) => r.action === action && r.planId !== exceptPlanId) : [];
  }

  /** The latest rejection of `action` on `incidentId` as of `now`; undefined when none is remembered. */
  rejected(incidentId: string | undefined, action: string, now: number): ApprovalRequest | undefined {
    return this.earlier(incidentId, action, now)
      .filter((r) => r.decision === 'rejected')
      .pop();
  }

  /** When `incidentId` was first put to an operator, as of `now`; undefined when it was not (or is forgotten). */
  firstAskedMs(incidentId: string | undefined, now: number): number | undefined {
    return this.entry(incidentId, now)?.firstMs;
  }

  /** Forgets the incidents last touched `retentionMs` or more before `now`. */
  prune(now: number): void {
    this.incidents.prune(now);
  }

  private entry(incidentId: string | undefined, now: number): IncidentEntry | undefined {
    return this.incidents.get(incidentId, now);
  }

  private touch(incidentId: string, atMs: number): IncidentEntry {
    return this.incidents.touch(incidentId, atMs, () => ({ lastMs: atMs, firstMs: atMs, requests: [] }));
  }
}

/**
 * How an earlier request ended, as of `now`: `pl_1 for failover on this incident expired
 * unanswered 15m ago`, `… was rejected by alice 3m ago`, `… was approved by bob 5m ago`, `… is
 * still waiting (asked 2m ago)`.
 */
export function describeRequest(r: ApprovalRequest, now: number): string {
  const head = `${r.planId} for ${r.action} on this incident`;
  const when = (t: number | undefined) => `${shortAgo(now - (t ?? r.atMs))} ago`;
  switch (r.decision) {
    case 'expired':
      return `${head} expired unanswered ${when(r.decidedMs)}`;
    case 'withdrawn':
      return `${head} was withdrawn unanswered ${when(r.decidedMs)} (its incident had ended)`;
    case 'rejected':
      return `${head} was rejected${r.actor ? ` by ${r.actor}` : ''} ${when(r.decidedMs)}`;
    case 'approved':
      return `${head} was approved${r.actor ? ` by ${r.actor}` : ''} ${when(r.decidedMs)}`;
    default:
      return `${head} is still waiting (asked ${when(r.atMs)})`;
  }
}

/** `45s`, `15m`, `2h05m`. */
export function shortAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m}m` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

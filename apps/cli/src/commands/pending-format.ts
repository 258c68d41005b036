import { verdictText, type EventRecord } from '@x0/client';
import { Anomaly, Approval, incidentOfContext, Outcome, Plan, PlanStatus } from '@x0/contracts';

/** A plan waiting for an operator, as `x0 pending` lists it (the fields it needs). */
export interface PendingPlan {
  planId: string;
  component: string;
  requestedMs: number;
  /** The plan's incident (from the plan service's Explain); '' or absent when unknown. */
  incidentId?: string;
}

/**
 * What happened on each pending plan's component since it was put to an operator, read from the
 * loop's events (anomalies and outcomes): whether the monitor still announces the plan's incident,
 * and the outcomes of the actions the loop tried on it meanwhile — `re-announced 14×, last 12s
 * ago; throttle not recovered ×3` — so the approver sees that the incident goes on and what did
 * not fix it (or that something did: `throttle recovered`). Anomalies and outcomes of other
 * incidents on the component (the plan's incident ended, and another one opened) are not the
 * plan's incident going on: they are counted apart — `then 2 other incidents, last 20s ago
 * (scale_up recovered)` — and execute does not run an approved plan whose incident ended. When the
 * plan's incident is unknown, every anomaly and outcome on the component counts as its own. `-`
 * when nothing happened. By plan id.
 */
export function meanwhile(pending: readonly PendingPlan[], records: readonly EventRecord[], nowMs: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of pending) {
    const own = new Since();
    const other = new Since();
    const part = (incident: string) => (!p.incidentId || incident === p.incidentId ? own : other);
    for (const r of records) {
      if (r.component !== p.component) continue;
      if (r.type === 'anomaly') {
        const a = Anomaly.fromJSON(r.event);
        const t = a.meta?.timeMs ?? 0;
        if (t <= p.requestedMs) continue;
        part(a.incidentId || a.meta?.id || '').anomaly(a.incidentId || a.meta?.id || '', t);
      } else if (r.type === 'outcome') {
        const o = Outcome.fromJSON(r.event);
        if ((o.meta?.timeMs ?? 0) <= p.requestedMs || o.incident?.planId === p.planId) continue;
        part(incidentOfContext(o.incident)).outcome(`${o.incident?.action || 'no action'} ${verdictText(o.verdict)}`);
      }
    }
    const parts: string[] = [];
    if (own.announced > 0) parts.push(`re-announced ${own.announced}×, last ${ago(nowMs - own.lastMs)} ago`);
    parts.push(...own.outcomeTexts());
    if (other.incidents.size > 0) {
      const n = other.incidents.size;
      const tried = other.outcomeTexts();
      parts.push(`then ${n} other incident${n === 1 ? '' : 's'}, last ${ago(nowMs - other.lastMs)} ago${tried.length ? ` (${tried.join(', ')})` : ''}`);
    } else parts.push(...other.outcomeTexts().map((t) => `${t} (another incident)`));
    out.set(p.planId, parts.join('; ') || '-');
  }
  return out;
}

/** Anomalies and outcomes of one part of SINCE THEN (the plan's incident, or the others). */
class Since {
  announced = 0;
  lastMs = 0;
  readonly incidents = new Set<string>();
  private readonly outcomes = new Map<string, number>();

  anomaly(incident: string, t: number): void {
    this.announced++;
    this.lastMs = Math.max(this.lastMs, t);
    this.incidents.add(incident);
  }

  outcome(key: string): void {
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
  }

  outcomeTexts(): string[] {
    return [...this.outcomes].map(([key, n]) => (n > 1 ? `${key} ×${n}` : key));
  }
}

/** A pending plan with its action and incident (from the plan service's Explain); incidentId '' when unknown. */
export interface PendingRequest extends PendingPlan {
  action: string;
  incidentId: string;
}

/**
 * Whether each pending plan puts an action to an operator again on its incident, read from the
 * loop's plans and approvals: the earlier requests of the same action on the same incident and
 * how they ended, and how long the incident has waited for an operator since its first request
 * (any action) — `asked before: pl_1 expired unanswered 15m ago; waiting 18m in all` — since
 * WAITING counts only from this request. `-` for an incident's first request. By plan id.
 */
export function askedBefore(pending: readonly PendingRequest[], records: readonly EventRecord[], nowMs: number): Map<string, string> {
  const plans: Plan[] = [];
  const decisions = new Map<string, Approval>();
  for (const r of records) {
    if (r.type === 'plan') {
      const p = Plan.fromJSON(r.event);
      if (p.status === PlanStatus.PLAN_STATUS_PENDING_APPROVAL) plans.push(p);
    } else if (r.type === 'approval') {
      const a = Approval.fromJSON(r.event);
      decisions.set(a.planId || a.incident?.planId || '', a);
    }
  }
  const out = new Map<string, string>();
  for (const p of pending) {
    const same = p.incidentId ? plans.filter((x) => incidentOfContext(x.incident) === p.incidentId && x.meta!.id !== p.planId && x.meta!.timeMs <= p.requestedMs) : [];
    if (same.length === 0) {
      out.set(p.planId, '-');
      continue;
    }
    const first = Math.min(...same.map((x) => x.meta!.timeMs));
    const parts = same
      .filter((x) => x.action === p.action)
      .sort((a, b) => a.meta!.timeMs - b.meta!.timeMs)
      .map((x) => {
        const a = decisions.get(x.meta!.id);
        const when = a ? `${ago(nowMs - (a.meta?.timeMs ?? 0))} ago` : '';
        if (a?.decision === 'expired') return `${x.meta!.id} expired unanswered ${when}`;
        if (a?.decision === 'withdrawn') return `${x.meta!.id} withdrawn unanswered ${when}`;
        if (a?.decision) return `${x.meta!.id} ${a.decision} by ${a.actor || '?'} ${when}`;
        return `${x.meta!.id} not answered`;
      });
    const asked = parts.length > 0 ? `asked before: ${parts.join(', ')}; ` : '';
    out.set(p.planId, `${asked}waiting ${ago(nowMs - first)} in all`);
  }
  return out;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

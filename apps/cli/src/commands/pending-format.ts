import { verdictText, type EventRecord } from '@x0/client';
import { Anomaly, Approval, incidentOfContext, Outcome, Plan, PlanStatus } from '@x0/contracts';

/** A plan waiting for an operator, as `x0 pending` lists it (the fields it needs). */
export interface PendingPlan {
  planId: string;
  component: string;
  requestedMs: number;
}

/**
 * What happened on each pending plan's component since it was put to an operator, read from the
 * loop's events (anomalies and outcomes): whether the monitor still announces the incident, and
 * the outcomes of the actions the loop tried meanwhile — `re-announced 14×, last 12s ago;
 * throttle not recovered ×3` — so the approver sees that the incident goes on and what did not
 * fix it (or that something did: `throttle recovered`). `-` when nothing happened. By plan id.
 */
export function meanwhile(pending: readonly PendingPlan[], records: readonly EventRecord[], nowMs: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of pending) {
    let announced = 0;
    let lastAnnouncedMs = 0;
    const outcomes = new Map<string, number>();
    for (const r of records) {
      if (r.component !== p.component) continue;
      if (r.type === 'anomaly') {
        const t = Anomaly.fromJSON(r.event).meta?.timeMs ?? 0;
        if (t <= p.requestedMs) continue;
        announced++;
        lastAnnouncedMs = Math.max(lastAnnouncedMs, t);
      } else if (r.type === 'outcome') {
        const o = Outcome.fromJSON(r.event);
        if ((o.meta?.timeMs ?? 0) <= p.requestedMs || o.incident?.planId === p.planId) continue;
        const key = `${o.incident?.action || 'no action'} ${verdictText(o.verdict)}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    }
    const parts: string[] = [];
    if (announced > 0) parts.push(`re-announced ${announced}×, last ${ago(nowMs - lastAnnouncedMs)} ago`);
    for (const [key, n] of outcomes) parts.push(n > 1 ? `${key} ×${n}` : key);
    out.set(p.planId, parts.join('; ') || '-');
  }
  return out;
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

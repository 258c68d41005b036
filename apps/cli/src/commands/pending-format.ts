import { verdictText, type EventRecord } from '@x0/client';
import { Anomaly, Outcome } from '@x0/contracts';

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

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

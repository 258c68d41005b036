import { formatUtc } from '@x0/core';
import type { EventRecord } from '@x0/client';

/** Everything the loop recorded about one incident, in time order. */
export interface IncidentStory {
  /** The anomaly that opened the incident (the key every later event carries). */
  anomalyId: string;
  /**
   * The incident it announces (Anomaly.incident_id, IncidentContext.incident_id) when that is
   * another anomaly's — a re-announcement of a lasting fault; '' for the opening announcement
   * or an event from an older monitor.
   */
  incidentId: string;
  /** Which announcement of that incident it is (2, 3, …); 0 when `incidentId` is ''. */
  announcement: number;
  component: string;
  kind: string;
  /** Time of the first event seen, ms. */
  startMs: number;
  events: EventRecord[];
}

interface JsonIncident {
  anomalyId?: string;
  kind?: string;
  incidentId?: string;
  announcement?: number;
}
interface JsonEvent {
  incident?: JsonIncident;
  anomalyId?: string;
  kind?: string;
  incidentId?: string;
  announcement?: number;
  explanation?: { ranking?: Array<{ policyId?: string; action?: string; score?: number; successRate?: number; priority?: number; recency?: number; rejectedBecause?: string }>; guardrails?: string[] };
}

/** The incident (anomaly id) an event belongs to; undefined for events outside the loop (models, training). */
export function incidentOf(e: EventRecord): string | undefined {
  const ev = (e.event ?? {}) as JsonEvent;
  switch (e.type) {
    case 'anomaly':
      return e.id;
    case 'diagnosis':
    case 'plan':
    case 'action':
    case 'outcome':
    case 'approval':
      return ev.incident?.anomalyId || undefined;
    case 'label':
      return ev.anomalyId || undefined;
    default:
      return undefined;
  }
}

/**
 * Groups loop events into incidents (by the anomaly id every event's incident context
 * carries), each in time order, incidents by their first event.
 */
export function groupIncidents(records: readonly EventRecord[]): IncidentStory[] {
  const byId = new Map<string, IncidentStory>();
  for (const r of records) {
    const id = incidentOf(r);
    if (!id) continue;
    let s = byId.get(id);
    if (!s) byId.set(id, (s = { anomalyId: id, incidentId: '', announcement: 0, component: r.component, kind: '', startMs: Date.parse(r.time), events: [] }));
    s.events.push(r);
    const ev = (r.event ?? {}) as JsonEvent;
    s.kind ||= ev.incident?.kind || ev.kind || '';
    const incidentId = (r.type === 'anomaly' ? ev.incidentId : ev.incident?.incidentId) ?? '';
    if (!s.incidentId && incidentId && incidentId !== id) {
      s.incidentId = incidentId;
      s.announcement = (r.type === 'anomaly' ? ev.announcement : ev.incident?.announcement) ?? 0;
    }
    s.startMs = Math.min(s.startMs, Date.parse(r.time));
  }
  const stories = [...byId.values()];
  for (const s of stories) s.events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.seq - b.seq);
  return stories.sort((a, b) => a.startMs - b.startMs);
}

/** How the incident ended, from its last outcome (or what it is waiting for). */
export function verdictOf(s: IncidentStory): string {
  const last = [...s.events].reverse();
  const outcome = last.find((e) => e.type === 'outcome');
  if (outcome) return outcome.summary.split(' — ')[0];
  const plan = last.find((e) => e.type === 'plan');
  if (!plan) return last.some((e) => e.type === 'diagnosis') ? 'diagnosed, no plan yet' : 'detected, not diagnosed yet';
  const approval = last.find((e) => e.type === 'approval');
  if (approval) return approval.summary;
  if (plan.summary.startsWith('dispatch')) return last.some((e) => e.type === 'action') ? 'action taken, being verified' : 'dispatched, no action yet';
  return plan.summary.split(' — ')[0];
}

/** The story of one incident as text: a header, then one line per event with the plan's why. */
export function formatStory(s: IncidentStory, options: { verbose?: boolean } = {}): string {
  // A re-announcement is one announcement of its incident (the id x0 events and x0 incidents name).
  const which = s.incidentId ? `incident ${s.incidentId}, announcement ${s.announcement || '?'} (${s.anomalyId})` : `incident ${s.anomalyId}`;
  const head = `${which} on ${s.component}${s.kind ? ` (${s.kind})` : ''}, ${formatUtc(s.startMs)}: ${verdictOf(s)}`;
  const lines = [head];
  for (const e of s.events) {
    lines.push(`  ${e.time.slice(11, 23)}  ${e.type.padEnd(9)} ${e.summary}  [${e.id}]`);
    if (e.type !== 'plan') continue;
    const ex = ((e.event ?? {}) as JsonEvent).explanation;
    for (const [i, r] of (ex?.ranking ?? []).slice(0, options.verbose ? undefined : 3).entries()) {
      const terms = `score ${(r.score ?? 0).toFixed(3)} = 0.5·${(r.successRate ?? 0).toFixed(3)} + 0.3·${(r.priority ?? 0).toFixed(3)} + 0.2·${(r.recency ?? 0).toFixed(3)}`;
      lines.push(`  ${' '.repeat(12)}  ${i === 0 ? 'why' : '   '}   #${i + 1} ${r.action} (${r.policyId}) ${terms}${r.rejectedBecause ? ` — ${r.rejectedBecause}` : ''}`);
    }
    const guards = (ex?.guardrails ?? []).filter((g) => options.verbose || !/: (ok|off)( |$)/.test(g));
    for (const g of guards) lines.push(`  ${' '.repeat(12)}  guard   ${g}`);
  }
  if (!s.events.some((e) => e.type === 'anomaly')) lines.push('  (the anomaly is older than the time range)');
  return lines.join('\n');
}

/**
 * The line after the stories: how many incidents, and how many announcements they were told in
 * when a lasting fault was re-announced ('1 incident(s) (11 announcement(s)) in the last 1h').
 */
export function storiesFooter(stories: readonly IncidentStory[], since: string): string {
  const incidents = new Set(stories.map((s) => s.incidentId || s.anomalyId)).size;
  return `${incidents} incident(s)${incidents !== stories.length ? ` (${stories.length} announcement(s))` : ''} in the last ${since}`;
}

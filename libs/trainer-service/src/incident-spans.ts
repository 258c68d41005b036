import type { Bus } from '@x0/bus';
import { incidentOfAnomaly, incidentOfContext, type EventPayloads } from '@x0/contracts';
import { replayEvents } from './replay';

/** Samples this close to an incident (before it opened, after it closed) count as part of it, ms: a fault starts before the monitor flags it and fades after it clears. */
export const INCIDENT_MARGIN_MS = 60_000;

/** A time span, ms since the epoch, both ends included. */
export interface Span {
  startMs: number;
  endMs: number;
}

/** How long an incident in the stored events lasts (TRAINER_INCIDENT_TAIL_S, TRAINER_INCIDENT_MAX_S). */
export type IncidentTiming = Pick<IncidentSpanOptions, 'tailMs' | 'maxIncidentMs'>;

/** One component's incident as the stored events tell it. */
export interface IncidentSpan extends Span {
  component: string;
  incidentId: string;
}

/** Options of {@link incidentSpansFromEvents}. */
export interface IncidentSpanOptions {
  /**
   * How long an incident lasts after its latest announcement when no recovery ended it, ms: the
   * monitor re-announces an open incident every MONITOR_REALERT_S (120 s by default), so an
   * incident not announced for that long has closed.
   */
  tailMs: number;
  /** An incident counts as one for this long from its start, ms (default: for as long as it lasts); see IncidentWindowsOptions.maxIncidentMs. */
  maxIncidentMs?: number;
}

/**
 * The incidents in stored events, per component: from each incident's first announcement
 * (Anomaly.incident_start_ms) to its latest one plus the tail, or to the verifier's "recovered"
 * outcome when that came earlier, and at most `maxIncidentMs` from its start. Announcements of one incident share `incident_id` (an
 * anomaly without it, from an older monitor, is its own incident). The live statuses tell
 * when an incident closed to the second; these spans are what is left of it in X0_EVENTS: a
 * restarted trainer's memory and a training job's record of which samples were incidents.
 */
export function incidentSpansFromEvents(
  anomalies: ReadonlyArray<EventPayloads['anomaly']>,
  outcomes: ReadonlyArray<EventPayloads['outcome']>,
  o: IncidentSpanOptions,
): IncidentSpan[] {
  const byId = new Map<string, { component: string; startMs: number; lastMs: number }>();
  for (const a of anomalies) {
    const component = a.meta?.component ?? '';
    const atMs = a.meta?.timeMs ?? 0;
    if (!component || !(atMs > 0)) continue;
    const id = incidentOfAnomaly(a);
    const startMs = a.incidentStartMs > 0 ? Math.min(a.incidentStartMs, atMs) : atMs;
    const known = byId.get(id);
    if (!known) byId.set(id, { component, startMs, lastMs: atMs });
    else {
      known.startMs = Math.min(known.startMs, startMs);
      known.lastMs = Math.max(known.lastMs, atMs);
    }
  }
  // The earliest recovery after each incident's latest announcement ends it.
  const recovered = new Map<string, number>();
  for (const out of outcomes) {
    const id = incidentOfContext(out.incident);
    const atMs = out.meta?.timeMs ?? 0;
    const known = byId.get(id);
    if (!out.recovered || !known || !(atMs >= known.lastMs)) continue;
    recovered.set(id, Math.min(recovered.get(id) ?? Infinity, atMs));
  }
  const spans: IncidentSpan[] = [];
  for (const [incidentId, i] of byId) {
    const recoveredMs = recovered.get(incidentId);
    const lastsMs = recoveredMs !== undefined ? Math.min(recoveredMs, i.lastMs + o.tailMs) : i.lastMs + o.tailMs;
    const endMs = Math.min(lastsMs, i.startMs + (o.maxIncidentMs ?? Infinity));
    spans.push({ component: i.component, incidentId, startMs: i.startMs, endMs });
  }
  return spans.sort((a, b) => a.startMs - b.startMs);
}

/**
 * A test of "does [fromMs, toMs] of this component overlap one of its spans, widened by
 * `marginMs` on both sides" over spans grouped per component and sorted by start.
 */
export function overlapsSpans(spans: ReadonlyArray<IncidentSpan>, marginMs: number): (component: string, fromMs: number, toMs: number) => boolean {
  const byComponent = new Map<string, Span[]>();
  for (const s of spans) {
    const list = byComponent.get(s.component) ?? [];
    list.push({ startMs: s.startMs - marginMs, endMs: s.endMs + marginMs });
    byComponent.set(s.component, list);
  }
  return (component, fromMs, toMs) => {
    const list = byComponent.get(component);
    if (!list) return false;
    for (const s of list) if (s.startMs <= toMs && s.endMs >= fromMs) return true;
    return false;
  };
}

/**
 * The incidents of the stored events from `sinceMs` on (and of the announcements one tail
 * before, which say when an incident reaching into the window began); see
 * {@link incidentSpansFromEvents}.
 */
export async function replayIncidentSpans(bus: Bus, o: IncidentSpanOptions & { sinceMs: number }): Promise<IncidentSpan[]> {
  const events = await replayEvents(bus, { sinceMs: o.sinceMs - o.tailMs });
  return incidentSpansFromEvents(events.anomalies, events.outcomes, o);
}

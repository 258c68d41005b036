import { verdictText } from '@x0/client';
import { formatSpan, formatUtc } from '@x0/core';
import { incidentOfRecord, severityFromProto, type Incident } from '@x0/contracts';

/** The outcome of an incident in the words outcome events use: `recovered in 12.3 s`, `not recovered`, `unknown`. */
export function incidentOutcome(i: Incident): string {
  return `${verdictText(i.verdict)}${i.recovered ? ` in ${(i.timeToRecoverMs / 1000).toFixed(1)} s` : ''}`;
}

/** When a record's incident started: incident_start_ms, or (an older record) its announcement's detection. */
function startOf(i: Incident): number {
  return i.context?.incidentStartMs || i.context?.detectedMs || 0;
}

/**
 * How long a recovered outcome's incident lasted, from its start to the outcome that confirmed
 * the recovery (the verification hold included): `15m42s`; undefined when not recovered or
 * either time is not known (a record written before outcome_ms).
 */
export function recoveredAfter(i: Incident): string | undefined {
  const start = startOf(i);
  return i.recovered && i.outcomeMs > 0 && start > 0 && i.outcomeMs >= start ? formatSpan(i.outcomeMs - start) : undefined;
}

/** A similarity signature summarised: how many values and their range, not 64 numbers. */
export function signatureSummary(signature: readonly number[]): string {
  if (signature.length === 0) return '-';
  const r3 = (x: number) => x.toFixed(3);
  return `${signature.length} values in [${r3(Math.min(...signature))}, ${r3(Math.max(...signature))}] (x0 incidents show --json for all)`;
}

/** One incident for `x0 incidents show`: named fields, times in UTC, severity and verdict as words. */
export function formatIncident(i: Incident, attempts: readonly Incident[] = []): string {
  const c = i.context;
  const incidentId = incidentOfRecord(i);
  const reannounced = incidentId !== (c?.anomalyId || i.id);
  const start = c?.incidentStartMs ?? 0;
  const detected = c?.detectedMs ?? 0;
  const fromStart = recoveredAfter(i);
  const lines = [
    `incident   ${i.id}${reannounced ? ` (announcement ${c?.announcement || '?'} of incident ${incidentId})` : ''}`,
    `component  ${c?.component || '-'}${c?.kind ? ` (${c.kind})` : ''}, severity ${severityFromProto(c?.severity ?? 0)}, score ${(c?.score ?? 0).toFixed(3)}`,
    ...(start > 0 ? [`started    ${formatUtc(start)} UTC (incident ${incidentId})`] : []),
    `detected   ${formatUtc(detected)} UTC${detectedNote(c?.announcement ?? 0, start, detected)}`,
    `metrics    ${c?.metrics.join(', ') || '-'}`,
    `cause      ${c?.cause || '-'}`,
    `action     ${c?.action ? `${c.action}${c.policyId ? ` (policy ${c.policyId})` : ''}` : '-'}`,
    `outcome    ${incidentOutcome(i)}${i.recovered && c?.action ? ` after ${c.action}` : ''}${fromStart ? `, ${fromStart} after the incident started` : ''}`,
    `recorded   ${formatUtc(i.recordedMs)} UTC`,
    `signature  ${signatureSummary(c?.signature ?? [])}`,
    ...(attempts.length > 1 ? [`attempts   ${attempts.length} recorded outcome(s) of incident ${incidentId}, oldest first`, ...attemptLines(attempts, i.id)] : []),
    'ids',
    ...(
      [
        ['incident', reannounced ? incidentId : ''],
        ['anomaly', c?.anomalyId],
        ['batch', c?.batchId],
        ['diagnosis', c?.diagnosisId],
        ['plan', c?.planId],
        ['action', c?.actionId],
        ['outcome', i.outcomeId],
      ] as const
    )
      .filter(([, id]) => id)
      .map(([name, id]) => `  ${name.padEnd(10)} ${id}`),
  ];
  return lines.join('\n');
}

/** After `detected`: which announcement that was and how long after the incident's start (' (announcement 5, 13m20s after the start)'). */
function detectedNote(announcement: number, start: number, detected: number): string {
  const parts = [...(announcement > 0 ? [`announcement ${announcement}`] : []), ...(start > 0 && detected > start ? [`${formatSpan(detected - start)} after the start`] : [])];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The records of one incident under `attempts`: time, announcement, action, outcome; `*` marks the one shown. */
function attemptLines(attempts: readonly Incident[], shown: string): string[] {
  const ordered = [...attempts].sort((a, b) => (a.outcomeMs || a.recordedMs) - (b.outcomeMs || b.recordedMs));
  return ordered.map((a) => {
    const ann = a.context?.announcement ? `#${a.context.announcement}` : '#?';
    return `${a.id === shown ? '* ' : '  '}${formatUtc(a.outcomeMs || a.recordedMs)}  ${ann.padEnd(4)} ${(a.context?.action || '-').padEnd(11)} ${incidentOutcome(a)}  ${a.id}`;
  });
}

/** The rows of one incident gathered from its records (one per outcome), newest record first. */
export interface IncidentGroup {
  incidentId: string;
  /** Its records, oldest first. */
  records: Incident[];
}

/**
 * Records grouped by incident (a lasting fault re-announced by the monitor has a record per
 * action tried, each under its own announcement's id): incidents ordered by their newest record,
 * newest first; each incident's records oldest first.
 */
export function groupIncidents(records: readonly Incident[]): IncidentGroup[] {
  const groups = new Map<string, Incident[]>();
  const newest = (i: Incident) => i.outcomeMs || i.recordedMs;
  for (const r of [...records].sort((a, b) => newest(b) - newest(a))) {
    const id = incidentOfRecord(r);
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  return [...groups].map(([incidentId, rs]) => ({ incidentId, records: rs.reverse() }));
}

/** What was tried on an incident, by action in the order first tried: `throttle ×3, failover`. */
export function triedSummary(records: readonly Incident[]): string {
  const n = new Map<string, number>();
  for (const r of records) if (r.context?.action) n.set(r.context.action, (n.get(r.context.action) ?? 0) + 1);
  return [...n].map(([a, k]) => (k > 1 ? `${a} ×${k}` : a)).join(', ') || '-';
}

/**
 * The table of `x0 incidents`: one row per incident (not per recorded outcome), with when it
 * started, what was tried on it, its latest outcome and, once recovered, how long it lasted
 * (from its start to the outcome that confirmed the recovery; for a record written before
 * outcome times were kept, the recovery time after the action).
 */
export function incidentRows(groups: readonly IncidentGroup[]): string[][] {
  const rows = [['STARTED', 'COMPONENT', 'CAUSE', 'TRIED', 'LAST OUTCOME', 'RECOVERED AFTER', 'INCIDENT']];
  for (const g of groups) {
    const last = g.records[g.records.length - 1];
    const announcements = Math.max(...g.records.map((r) => r.context?.announcement ?? 0));
    const starts = g.records.map(startOf).filter((t) => t > 0);
    rows.push([
      formatUtc(starts.length > 0 ? Math.min(...starts) : 0),
      last.context?.component || '-',
      last.context?.cause || '-',
      triedSummary(g.records),
      `${verdictText(last.verdict)}${announcements > 1 ? ` (announcement ${last.context?.announcement || '?'})` : ''}`,
      recoveredAfter(last) ?? (last.recovered ? `${(last.timeToRecoverMs / 1000).toFixed(1)} s after the action` : '-'),
      g.incidentId,
    ]);
  }
  return rows;
}

/**
 * The line under `x0 incidents`: what a row is. The knowledge service records an outcome of an
 * incident when it arrives, so an incident still open without one (waiting for approval, or
 * whose actions were all blocked) is not listed yet, and a lasting fault the monitor re-announces
 * is one row, whatever the number of actions tried on it.
 */
export function incidentsFooter(incidents: number, records = incidents): string {
  const what = 'a row is an incident with the outcomes recorded on it; one still open without an outcome has none yet (x0 pending, x0 audit); x0 incidents show <incident> for each outcome';
  if (incidents === 0) return `no recorded incident (${what})`;
  return `${incidents} incident(s) from ${records} recorded outcome(s) (${what})`;
}

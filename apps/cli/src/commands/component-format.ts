import { formatSpan, formatUtc } from '@x0/core';
import { incidentOfAnomaly, severityFromProto, type Anomaly, type ComponentHealth, type ComponentStatus, type MetricDeviation } from '@x0/contracts';
import { table } from './output';

/** The incident open on a component, as the monitor's live status and its anomalies tell it. */
export interface OpenIncident {
  /** The incident's id: the id of the anomaly that opened it. */
  incidentId: string;
  /** When it started (its opening announcement's sample time), ms since the epoch; 0 when not known. */
  startMs: number;
  /** The number of its latest announcement (1 when it was never re-announced); 0 when not known. */
  announcement: number;
  /** Its latest announcement's anomaly id, as the live status names it (open_anomaly_id). */
  latestAnomalyId: string;
  /** That announcement as ListAnomalies returns it; null when the monitor no longer lists it (restarted since). */
  latest: Anomaly | null;
  /** How many of its announcements the monitor lists (those it made since it started). */
  listed: number;
}

/** What `x0 component <name>` shows, and prints with --json. */
export interface ComponentView {
  /** GetComponentStatus. */
  status: ComponentStatus;
  /** The live status read on `x0.status.<component>`; null when none came (liveError says why). */
  live: ComponentHealth | null;
  /** Why there is no live status: none within the wait, or NATS could not be reached. */
  liveError?: string;
  /** The open incident per the live status; null when none is open, or when there is no live status. */
  incident: OpenIncident | null;
  /** The component's champion detector adapter when the monitor scores it with the shared forecaster (absent otherwise, or when the trainer could not say). */
  idleAdapter?: IdleAdapter;
  /** Its latest detector adapter when none is champion: trained, and kept as challenger by the shadow gate (absent otherwise). */
  adapterAttempt?: AdapterAttempt;
}

/** A component's adapter (`detector--<c>`) that stayed a challenger: no adapter of it has won yet. */
export interface AdapterAttempt {
  model: string;
  version: string;
  /** The shadow evaluation's reason ('' when not recorded). */
  reason: string;
}

/** A component's champion adapter (`detector--<c>`) that the monitor does not serve. */
export interface IdleAdapter {
  model: string;
  version: string;
  /** Detector version it was trained on (its lineage's baseVersion; '' when not recorded). */
  trainedOn: string;
  /** The detector's champion ('' when not known). */
  baseChampion: string;
}

/**
 * The open incident named by a live status's `open_anomaly_id` (its latest announcement), from
 * the monitor's anomalies: `announced` is ListAnomalies of the component (to find that
 * announcement and so its incident id), `ofIncident` ListAnomalies filtered by that incident id,
 * both newest first. Without the announcement listed (a restarted monitor lists only what it
 * made since), the anomaly id stands for the incident and its start and count are unknown.
 */
export function openIncident(openAnomalyId: string, announced: readonly Anomaly[], ofIncident: readonly Anomaly[]): OpenIncident {
  const open = announced.find((a) => a.meta?.id === openAnomalyId);
  const incidentId = incidentOfAnomaly(open) || openAnomalyId;
  const listed = ofIncident.filter((a) => incidentOfAnomaly(a) === incidentId);
  const latest = open ?? listed[0] ?? null;
  const oldest = listed[listed.length - 1];
  return {
    incidentId,
    startMs: latest?.incidentStartMs || (oldest && incidentOfAnomaly(oldest) === oldest.meta?.id ? (oldest.meta?.timeMs ?? 0) : 0),
    // An anomaly from an older monitor names no announcement: it is its incident's first.
    announcement: latest ? latest.announcement || 1 : 0,
    latestAnomalyId: openAnomalyId,
    latest,
    listed: listed.length,
  };
}

/**
 * The metrics that moved most in an anomaly (by their contribution to its score), as
 * `error_rate 0.405 (expected 0.00500, score 1.00)`; at most `n`.
 */
export function topMetrics(metrics: readonly MetricDeviation[], n = 3): string[] {
  return [...metrics]
    .sort((a, b) => b.score - a.score)
    .slice(0, n)
    .map((m) => `${m.metric} ${num(m.value)} (expected ${num(m.expected)}, score ${m.score.toFixed(2)})`);
}

/** A time with how long ago it was: `2026-11-27 19:30:01 UTC (2s ago)`; `never` when unset. */
function timeAgo(ms: number, nowMs: number): string {
  return ms > 0 ? `${formatUtc(ms)} UTC (${formatSpan(nowMs - ms)} ago)` : 'never';
}

/** A metric value: three significant digits for small ones, fewer decimals as they grow. */
function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v === 0 ? '0' : v.toPrecision(3);
}

/** A component silent this long has not reported: the monitor sends a live status only as samples arrive. */
const SILENT_MS = 30_000;

/** Why there is no live status: the component stopped reporting (it last did long ago), or what the wait said. */
function whyNoLiveStatus(view: ComponentView, nowMs: number): string {
  const last = view.status.lastSampleMs;
  const waited = !view.liveError || view.liveError.startsWith('no live status within');
  if (waited && last > 0 && nowMs - last > SILENT_MS) {
    return `no live status: ${view.status.component} last reported ${formatSpan(nowMs - last)} ago, and the monitor sends one only as samples arrive (an incident open then is still open)`;
  }
  return view.liveError ?? 'no live status';
}

/** The lines about the incident: open (id, start, announcements, top metrics), none open, or unknown (no live status). */
function incidentLines(view: ComponentView, nowMs: number): string[] {
  const lastAnomaly = view.status.lastAnomalyMs > 0 ? `last anomaly ${timeAgo(view.status.lastAnomalyMs, nowMs)}` : 'no anomaly since the monitor started';
  if (!view.live) return [`incident     unknown: ${whyNoLiveStatus(view, nowMs)} (${lastAnomaly})`];
  const i = view.incident;
  if (!i) return [`incident     no open incident (${lastAnomaly})`];
  const lines = [`incident     OPEN ${i.incidentId}${i.startMs > 0 ? `, started ${formatUtc(i.startMs)} UTC, open ${formatSpan(nowMs - i.startMs)}` : ''}`];
  const count = i.announcement > 0 ? `${i.announcement} announcement(s)` : 'announcements unknown';
  if (!i.latest) {
    lines.push(`             ${count}; latest ${i.latestAnomalyId}, which the monitor no longer lists (restarted since?); x0 events --type anomaly shows it`);
    return lines;
  }
  const latestAt = i.latest.meta?.timeMs ?? 0;
  const when = latestAt > 0 ? ` ${formatSpan(nowMs - latestAt)} ago` : '';
  lines.push(`             ${count}; latest ${i.latestAnomalyId}${when} (${severityFromProto(i.latest.severity)}, score ${i.latest.score.toFixed(3)})`);
  const top = topMetrics(i.latest.metrics);
  lines.push(`top metrics  ${top.length > 0 ? top.join('; ') : '-'}`);
  return lines;
}

/** The forecaster line of a component scored by the shared model: why its champion adapter, if it has one, does not serve, or that none has won yet. */
function sharedForecaster(component: string, a: IdleAdapter | undefined, attempt?: AdapterAttempt): string {
  if (!a && attempt) return `shared — no adapter of it has won yet: ${attempt.model}@${attempt.version} stayed challenger${attempt.reason ? ` (${attempt.reason})` : ''}`;
  if (!a) return 'shared';
  if (a.trainedOn && a.baseChampion && a.trainedOn !== a.baseChampion) {
    return `shared — its adapter ${a.model}@${a.version} is not applied: it was trained on detector ${a.trainedOn}, the detector champion is ${a.baseChampion} (x0 train detector --component ${component})`;
  }
  return `shared — its adapter ${a.model}@${a.version} is the champion but does not serve (the monitor's log says why: 'detector adapter not applied')`;
}

/**
 * One component as `x0 component` prints it: what the monitor's GetComponentStatus says (kind,
 * phase, last sample and score, its forecaster: the shared one or its own LoRA adapter), the incident (from the live status: open with its id, start,
 * announcements and top metrics; none open; or unknown without a live status), then a table of
 * its metrics' baselines. `nowMs` is the time "ago" is counted from.
 */
export function formatComponent(view: ComponentView, nowMs: number): string {
  const s = view.status;
  const live = view.live;
  const lines = [
    `component    ${s.component}${s.kind ? ` (${s.kind})` : ''}`,
    `phase        ${s.phase || '-'}, ${s.samplesSeen} sample(s) seen`,
    `last sample  ${timeAgo(s.lastSampleMs, nowMs)}`,
    `last score   ${s.lastScore.toFixed(3)}, severity ${severityFromProto(s.lastSeverity)}`,
    `forecaster   ${s.forecaster ? `${s.forecaster} (its LoRA adapter merged into the shared base)` : sharedForecaster(s.component, view.idleAdapter, view.adapterAttempt)}`,
    ...incidentLines(view, nowMs),
    ...(live ? [`live status  ${formatUtc(live.timeMs)} UTC: score ${live.score.toFixed(3)}, severity ${severityFromProto(live.severity)}, ${live.phase || '-'}`] : []),
    '',
  ];
  if (s.metrics.length === 0) return [...lines, 'no metrics yet'].join('\n');
  const rows = [['METRIC', 'LAST', 'MEAN', 'STDDEV', 'SAMPLES']];
  for (const m of [...s.metrics].sort((a, b) => a.metric.localeCompare(b.metric))) rows.push([m.metric, num(m.lastValue), num(m.mean), num(m.stddev), String(m.samples)]);
  return [...lines, table(rows)].join('\n');
}

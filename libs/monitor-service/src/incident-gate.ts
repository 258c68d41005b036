import type { SeverityLevel } from '@x0/contracts';
import { severityRank } from '@x0/contracts';

/** When a detection opens an incident and when the incident is over. */
export interface IncidentGateOptions {
  /** Lowest severity that starts an incident (default 'medium'). */
  minSeverity: Exclude<SeverityLevel, 'none'>;
  /** Samples the deviation must persist (the alarming one included) before the incident opens (default 2). */
  openSamples: number;
  /** Consecutive samples back within the pre-incident normal that close an open incident (default 5). */
  clearSamples: number;
  /** An incident still open after this long is announced again, so the loop retries (default 120 s). */
  realertMs: number;
  /** A metric deviates while it is beyond this many pre-incident standard deviations, in the same direction (default 3). */
  deviationSigmas: number;
  /**
   * A metric this many standard deviations off its baseline starts an episode (as 'high')
   * even when the detector scores it lower: an operations backstop for gross deviations
   * (default 8; 0 disables).
   */
  extremeSigmas: number;
}

export const DEFAULT_INCIDENT_GATE: IncidentGateOptions = { minSeverity: 'medium', openSamples: 2, clearSamples: 5, realertMs: 120_000, deviationSigmas: 3, extremeSigmas: 8 };

/** What the gate needs to know about one scored sample. */
export interface GateSample {
  severity: SeverityLevel;
  timeMs: number;
  /** Contributions of the metrics, most anomalous first. */
  metrics: ReadonlyArray<{ metric: string; value: number; score: number }>;
  /** Current value of every metric of the sample. */
  values: ReadonlyMap<string, number>;
}

/** Pre-incident normal of one metric (from the detector's baseline when the deviation started). */
export interface MetricBaseline {
  mean: number;
  std: number;
}

/** What the gate decided for one sample. */
export type GateDecision =
  /** Open an incident; `severity` is the worst seen in the episode (detector or backstop). */
  | { type: 'open'; severity: Exclude<SeverityLevel, 'none'> }
  /**
   * Announce the open incident again: `incidentId` and `incidentStartMs` are its first
   * announcement's (id, sample time), `announcement` the number of this one (2, 3, …).
   */
  | { type: 'realert'; previousAnomalyId: string; incidentId: string; incidentStartMs: number; announcement: number; severity: Exclude<SeverityLevel, 'none'> }
  | { type: 'ongoing'; anomalyId: string }
  | { type: 'cleared'; anomalyId: string }
  | { type: 'quiet' };

/** A metric an episode watches, with its frozen pre-incident normal. */
export interface TrackedMetric {
  metric: string;
  mean: number;
  /**
   * Pre-incident standard deviation. Absent in incidents stored by an older monitor; then
   * `tolerance / deviationSigmas` stands in for it.
   */
  std?: number;
  tolerance: number;
  /** +1 when the metric went up, -1 when it went down. */
  direction: number;
}

/** What the gate knows of an open incident: enough to carry it on after a restart (see `resume`). */
export interface OpenIncident {
  /** Id of the latest announcement (the opening one or the latest re-announcement). */
  anomalyId: string;
  /** Id of the anomaly that opened the incident (Anomaly.incident_id). */
  incidentId: string;
  /** Sample time of the announcement that opened the incident (Anomaly.incident_start_ms). */
  incidentStartMs: number;
  /** Announcements made so far: 1 after the opening one, 2 after the first re-announcement, … */
  announcement: number;
  severity: Exclude<SeverityLevel, 'none'>;
  /** Time of the latest announcement (open or re-alert), sample time. */
  lastAlertMs: number;
  tracked: TrackedMetric[];
}

/** The open incident of an episode (the anomaly that opened it); '' while none is open. */
function incidentIdOf(ep: Episode): string {
  return ep.incidentId ?? ep.anomalyId ?? '';
}

interface Episode {
  tracked: TrackedMetric[];
  severity: Exclude<SeverityLevel, 'none'>;
  /** Consecutive deviating samples while not yet open. */
  streak: number;
  /** Latest announcement's anomaly id; unset until the incident opens. */
  anomalyId?: string;
  /** The opening announcement's anomaly id and sample time, and the announcements so far. */
  incidentId?: string;
  incidentStartMs: number;
  announcement: number;
  lastAlertMs: number;
  calm: number;
}

/**
 * Turns per-sample detections into incidents, judged against the component's normal from
 * before the trouble started — not against a detector that keeps adapting. An alarming
 * sample starts an episode and freezes the pre-incident baseline of the metrics that moved;
 * the incident opens (one Anomaly event) once the deviation has persisted `openSamples`
 * samples, stays open while any of those metrics is still beyond `deviationSigmas` of its old
 * normal in the direction it moved (or the detector still alarms), is announced again after
 * `realertMs`, and closes after `clearSamples` samples back within the normal. A level that
 * settles on the good side of the old normal (CPU lower after scaling up) counts as recovered.
 */
export class IncidentGate {
  private readonly episodes = new Map<string, Episode>();
  constructor(private readonly options: IncidentGateOptions = DEFAULT_INCIDENT_GATE) {}

  /**
   * Decides for one sample. `baseline(metric)` is asked only when an episode starts.
   * Call `opened()` after publishing an anomaly for 'open' or 'realert'.
   */
  observe(component: string, s: GateSample, baseline: (metric: string) => MetricBaseline | undefined): GateDecision {
    let severity = s.severity;
    if (severityRank(severity) < severityRank('high') && this.extreme(s, baseline)) severity = 'high';
    const alarming = severityRank(severity) >= severityRank(this.options.minSeverity);
    let ep = this.episodes.get(component);
    if (!ep) {
      if (!alarming) return { type: 'quiet' };
      ep = { tracked: this.track(s, baseline), severity: severity as Exclude<SeverityLevel, 'none'>, streak: 0, incidentStartMs: 0, announcement: 0, lastAlertMs: 0, calm: 0 };
      this.episodes.set(component, ep);
    } else if (severityRank(severity) > severityRank(ep.severity)) {
      ep.severity = severity as Exclude<SeverityLevel, 'none'>;
    }
    const deviating = alarming || this.deviates(ep, s.values);
    if (!ep.anomalyId) {
      if (!deviating) {
        this.episodes.delete(component);
        return { type: 'quiet' };
      }
      ep.streak++;
      return ep.streak >= this.options.openSamples ? { type: 'open', severity: ep.severity } : { type: 'quiet' };
    }
    if (deviating) {
      ep.calm = 0;
      if (s.timeMs - ep.lastAlertMs >= this.options.realertMs) {
        return {
          type: 'realert',
          previousAnomalyId: ep.anomalyId,
          incidentId: incidentIdOf(ep),
          incidentStartMs: ep.incidentStartMs,
          announcement: ep.announcement + 1,
          severity: ep.severity,
        };
      }
      return { type: 'ongoing', anomalyId: ep.anomalyId };
    }
    ep.calm++;
    if (ep.calm >= this.options.clearSamples) {
      this.episodes.delete(component);
      return { type: 'cleared', anomalyId: ep.anomalyId };
    }
    return { type: 'ongoing', anomalyId: ep.anomalyId };
  }

  /**
   * Records that an anomaly was announced for the component: the incident's first announcement
   * (after 'open') names the incident (its id and time), a re-announcement counts on.
   */
  opened(component: string, anomalyId: string, timeMs: number): void {
    const ep = this.episodes.get(component);
    if (!ep) return;
    if (!ep.incidentId) {
      ep.incidentId = anomalyId;
      ep.incidentStartMs = timeMs;
    }
    ep.announcement++;
    ep.anomalyId = anomalyId;
    ep.lastAlertMs = timeMs;
    ep.calm = 0;
  }

  /** The component's open incident (a copy), or undefined when none is open. */
  incident(component: string): OpenIncident | undefined {
    const ep = this.episodes.get(component);
    if (!ep?.anomalyId) return undefined;
    return {
      anomalyId: ep.anomalyId,
      incidentId: incidentIdOf(ep),
      incidentStartMs: ep.incidentStartMs,
      announcement: ep.announcement,
      severity: ep.severity,
      lastAlertMs: ep.lastAlertMs,
      tracked: ep.tracked.map((t) => ({ ...t })),
    };
  }

  /**
   * Carries on an incident that was open before a restart: the component's samples are judged
   * against its frozen pre-incident normal again, and it clears (or is re-announced) as if the
   * gate had never stopped, under the same incident id, its announcements counted on. The
   * count of calm samples starts again from zero.
   */
  resume(component: string, incident: OpenIncident): void {
    this.episodes.set(component, {
      tracked: incident.tracked.map((t) => ({ ...t })),
      severity: incident.severity,
      streak: 0,
      anomalyId: incident.anomalyId,
      incidentId: incident.incidentId || incident.anomalyId,
      incidentStartMs: incident.incidentStartMs || incident.lastAlertMs,
      announcement: Math.max(1, incident.announcement || 0),
      lastAlertMs: incident.lastAlertMs,
      calm: 0,
    });
  }

  /**
   * The pre-incident normal (mean, spread) of the metrics the component's episode watches — the
   * metrics that moved when the trouble started, frozen then — or an empty map outside an
   * episode. An announcement describes the incident against it: the detector's own baseline
   * learns from a lasting fault (quickly on a component with a short history), so by the time
   * the incident is re-announced it no longer shows the metrics that started it as off normal.
   */
  onsetBaselines(component: string): Map<string, MetricBaseline> {
    const out = new Map<string, MetricBaseline>();
    for (const t of this.episodes.get(component)?.tracked ?? []) {
      out.set(t.metric, { mean: t.mean, std: t.std ?? t.tolerance / this.options.deviationSigmas });
    }
    return out;
  }

  /** Whether the component is in an episode (deviating, or an incident open). */
  inEpisode(component: string): boolean {
    return this.episodes.has(component);
  }

  /**
   * Id of the open incident's latest anomaly (its latest announcement; not its incident id), or
   * '' (ComponentHealth.open_anomaly_id).
   */
  openAnomaly(component: string): string {
    return this.episodes.get(component)?.anomalyId ?? '';
  }

  /** Id of the open incident (the anomaly that opened it), or '' (ComponentHealth.open_incident_id). */
  openIncident(component: string): string {
    const ep = this.episodes.get(component);
    return ep?.anomalyId ? incidentIdOf(ep) : '';
  }

  /** Components with an open incident. */
  get openCount(): number {
    let n = 0;
    for (const ep of this.episodes.values()) if (ep.anomalyId) n++;
    return n;
  }

  private track(s: GateSample, baseline: (metric: string) => MetricBaseline | undefined): TrackedMetric[] {
    // The metrics that explain the alarm: strong contributors, at least the top one.
    const picked = s.metrics.filter((m, i) => i === 0 || m.score >= 0.5).slice(0, 5);
    const out: TrackedMetric[] = [];
    for (const m of picked) {
      const b = baseline(m.metric);
      if (!b || !Number.isFinite(b.mean) || !Number.isFinite(b.std)) continue;
      // A floor on the tolerance keeps near-constant metrics from alarming on rounding noise.
      const tolerance = Math.max(this.options.deviationSigmas * b.std, 0.05 * Math.abs(b.mean), 1e-9);
      out.push({ metric: m.metric, mean: b.mean, std: b.std, tolerance, direction: m.value >= b.mean ? 1 : -1 });
    }
    return out;
  }

  /** True when the sample's top metric is `extremeSigmas` or more off its baseline. */
  private extreme(s: GateSample, baseline: (metric: string) => MetricBaseline | undefined): boolean {
    if (!(this.options.extremeSigmas > 0) || s.metrics.length === 0) return false;
    for (const m of s.metrics.slice(0, 3)) {
      const b = baseline(m.metric);
      if (!b || !(b.std > 0)) continue;
      const tolerance = Math.max(b.std, 0.02 * Math.abs(b.mean));
      if (Math.abs(m.value - b.mean) >= this.options.extremeSigmas * tolerance) return true;
    }
    return false;
  }

  private deviates(ep: Episode, values: ReadonlyMap<string, number>): boolean {
    for (const t of ep.tracked) {
      const v = values.get(t.metric);
      if (v !== undefined && (v - t.mean) * t.direction > t.tolerance) return true;
    }
    return false;
  }
}

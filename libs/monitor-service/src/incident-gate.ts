import type { SeverityLevel } from '@x0/contracts';
import { severityRank } from '@x0/contracts';

/** When a detection opens an incident and when the incident is over. */
export interface IncidentGateOptions {
  /** Lowest severity that opens an incident (default 'medium'). */
  minSeverity: Exclude<SeverityLevel, 'none'>;
  /** Consecutive alarming samples needed to open an incident: a lone spike does not (default 2). */
  openSamples: number;
  /** Consecutive samples below minSeverity that close an open incident (default 5). */
  clearSamples: number;
  /** An incident still open after this long is announced again, so the loop retries (default 120 s). */
  realertMs: number;
}

export const DEFAULT_INCIDENT_GATE: IncidentGateOptions = { minSeverity: 'medium', openSamples: 2, clearSamples: 5, realertMs: 120_000 };

/** What the gate decided for one detection. */
export type GateDecision =
  | { type: 'open' }
  | { type: 'realert'; previousAnomalyId: string }
  | { type: 'ongoing'; anomalyId: string }
  | { type: 'cleared'; anomalyId: string }
  | { type: 'quiet' };

interface Incident {
  anomalyId: string;
  openedMs: number;
  lastAlertMs: number;
  calm: number;
}

/**
 * Turns a stream of per-sample severities into incidents: one Anomaly event when a
 * component has been anomalous for `openSamples` samples in a row (the stabilisation
 * against one-sample blips), none while it stays so (until `realertMs`), and a clear after
 * `clearSamples` calm samples. Without it a sustained fault would flood analyze and plan.
 */
export class IncidentGate {
  private readonly open = new Map<string, Incident>();
  private readonly streak = new Map<string, number>();
  constructor(private readonly options: IncidentGateOptions = DEFAULT_INCIDENT_GATE) {}

  /** Decides for one detection; call `opened()` after publishing an anomaly for open/realert. */
  observe(component: string, severity: SeverityLevel, timeMs: number): GateDecision {
    const alarming = severityRank(severity) >= severityRank(this.options.minSeverity);
    const incident = this.open.get(component);
    if (!incident) {
      if (!alarming) {
        this.streak.delete(component);
        return { type: 'quiet' };
      }
      const n = (this.streak.get(component) ?? 0) + 1;
      if (n < this.options.openSamples) {
        this.streak.set(component, n);
        return { type: 'quiet' };
      }
      this.streak.delete(component);
      return { type: 'open' };
    }
    if (alarming) {
      incident.calm = 0;
      if (timeMs - incident.lastAlertMs >= this.options.realertMs) return { type: 'realert', previousAnomalyId: incident.anomalyId };
      return { type: 'ongoing', anomalyId: incident.anomalyId };
    }
    incident.calm++;
    if (incident.calm >= this.options.clearSamples) {
      this.open.delete(component);
      return { type: 'cleared', anomalyId: incident.anomalyId };
    }
    return { type: 'ongoing', anomalyId: incident.anomalyId };
  }

  /** Records that an anomaly was announced for the component. */
  opened(component: string, anomalyId: string, timeMs: number): void {
    const prev = this.open.get(component);
    this.open.set(component, { anomalyId, openedMs: prev?.openedMs ?? timeMs, lastAlertMs: timeMs, calm: 0 });
  }

  /** Id of the open incident's latest anomaly, or ''. */
  openAnomaly(component: string): string {
    return this.open.get(component)?.anomalyId ?? '';
  }

  get openCount(): number {
    return this.open.size;
  }
}

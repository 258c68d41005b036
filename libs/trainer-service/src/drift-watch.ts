import { ModelMonitor, type Alert, type MonitorReport, type MonitorThresholds, type RetrainTrigger } from '@x0/model-monitor';

/** Options of {@link DriftWatch}. */
export interface DriftWatchOptions {
  /** Model whose inputs are watched (the detector). */
  model: string;
  thresholds: Partial<MonitorThresholds>;
  /** Rows per component needed in the reference and in the recent window. */
  minRows: number;
  /** Recent rows kept per component (default 4 × minRows). */
  windowRows?: number;
  retrainCooldownMs: number;
  clock?: () => number;
}

interface ComponentDrift {
  metrics: string[];
  /** Feature names, in feature order: `<metric>.step` per metric. */
  features: string[];
  windows: StepFeatures;
  monitor: ModelMonitor;
  /** Reference rows still being collected (baseline mode). */
  pending?: number[][];
}

/**
 * The features drift is judged on: per metric, the change from the previous sample
 * (`<metric>.step`). The forecaster sees windows normalised by their last value and spread,
 * i.e. the shape of recent steps, not the level: so a level shift or a slow daily cycle is
 * no drift here, while new dynamics are (steps that flap, grow noisier or go quiet).
 * Consecutive steps are nearly independent, which the PSI/KS rule needs; features of
 * overlapping windows are not.
 */
class StepFeatures {
  private last: Array<number | undefined>;
  constructor(private readonly metrics: readonly string[]) {
    this.last = metrics.map(() => undefined);
  }

  /** Adds one row; returns its feature row once every metric has a previous value. */
  push(row: ReadonlyMap<string, number>): number[] | undefined {
    const values = this.metrics.map((m) => row.get(m));
    if (!values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) return undefined;
    const prev = this.last;
    this.last = values;
    return prev.every((p) => p !== undefined) ? values.map((v, i) => v - prev[i]!) : undefined;
  }

  /** Forgets the previous values: no step spans rows left out. */
  reset(): void {
    this.last = this.metrics.map(() => undefined);
  }
}

/** A drift alert of one component, the retraining trigger it fired (if any), and alerts that ended. */
export interface DriftFinding {
  component: string;
  alerts: Alert[];
  retrain?: RetrainTrigger;
  /** Drift alerts in force (or carried) whose drift this check found over. */
  cleared: Alert[];
}

/**
 * Drift alerts raised before a restart, by the name of the component's monitor (the `model`
 * of its alerts: `detector:<component>`); see `ModelMonitorOptions.carried`.
 */
export type CarriedDriftAlerts = (monitor: string) => readonly Alert[];

/**
 * Input drift of the detector, per component: each component's metric rows (one row per
 * sample time) become step features (see StepFeatures: per metric, the change from the
 * previous sample, what the forecaster's normalised windows are made of), compared
 * feature by feature with a reference — the champion's training window when it has one,
 * otherwise everything sampled at the first check after the champion started serving — by
 * PSI and KS (ModelMonitor's drift rule).
 */
export class DriftWatch {
  private readonly components = new Map<string, ComponentDrift>();
  private readonly clock: () => number;
  private carried?: CarriedDriftAlerts;

  constructor(private readonly o: DriftWatchOptions) {
    this.clock = o.clock ?? Date.now;
  }

  /**
   * Forgets every reference (a new champion serves): references are set or collected anew.
   * `carried` gives each component's drift alerts the new champion already had raised (before
   * a restart), so they are not raised again.
   */
  reset(reference?: ReadonlyMap<string, ReadonlyArray<ReadonlyMap<string, number>>>, carried?: CarriedDriftAlerts): void {
    this.components.clear();
    this.carried = carried;
    for (const [component, rows] of reference ?? []) {
      const metrics = metricNames(rows);
      if (metrics.length === 0) continue;
      const c = this.create(component, metrics);
      const matrix = rows.map((r) => c.windows.push(r)).filter((f): f is number[] => f !== undefined);
      if (matrix.length >= this.o.minRows) c.monitor.setReference(matrix);
      else c.pending = matrix;
    }
  }

  /**
   * Adds sampled rows of one component. While its reference is being collected, all rows of
   * a call go to the reference (a whole sample, so it spans what the history holds), which is
   * set once it has `minRows`; later rows are the recent window. Rows for which `excluded`
   * says true (samples during an incident) are left out, and no step spans them.
   */
  observe(component: string, rows: ReadonlyArray<ReadonlyMap<string, number>>, excluded?: (index: number) => boolean): void {
    let c = this.components.get(component);
    if (!c) {
      const metrics = metricNames(rows);
      if (metrics.length === 0) return;
      c = this.create(component, metrics);
      c.pending = [];
    }
    const windows = c.windows;
    const features: number[][] = [];
    for (let i = 0; i < rows.length; i++) {
      if (excluded?.(i)) {
        windows.reset();
        continue;
      }
      const f = windows.push(rows[i]);
      if (f) features.push(f);
    }
    if (c.pending) {
      c.pending.push(...features);
      if (c.pending.length >= this.o.minRows) {
        c.monitor.setReference(c.pending);
        c.pending = undefined;
      }
      return;
    }
    for (const f of features) c.monitor.recordFeatures(f);
  }

  /**
   * Judges every component, except those `held` says to leave for now (a component with an
   * open incident: judged again once it is over); returns the new and ended alerts (and
   * triggers) by component.
   */
  check(held?: (component: string) => boolean): DriftFinding[] {
    const out: DriftFinding[] = [];
    for (const [component, c] of this.components) {
      if (c.pending || held?.(component)) continue;
      const report = c.monitor.check();
      if (report.alerts.length > 0 || report.retrain || report.cleared.length > 0) out.push({ component, alerts: report.alerts, retrain: report.retrain, cleared: report.cleared });
    }
    return out;
  }

  /** Current drift report of one component (undefined while its reference is collected). */
  report(component: string): MonitorReport | undefined {
    const c = this.components.get(component);
    return c && !c.pending ? c.monitor.evaluate() : undefined;
  }

  /** The component with the largest PSI and its report, for a model-level summary. */
  worst(): { component: string; report: MonitorReport } | undefined {
    let best: { component: string; report: MonitorReport } | undefined;
    for (const component of this.components.keys()) {
      const report = this.report(component);
      if (report && report.drift.value !== null && (!best || report.drift.value > best.report.drift.value!)) best = { component, report };
    }
    return best;
  }

  /** Feature names of a component, in feature order (for messages): `<metric>.step`. */
  featuresOf(component: string): string[] {
    return this.components.get(component)?.features ?? [];
  }

  private create(component: string, metrics: string[]): ComponentDrift {
    // The component in the name keeps alert ids distinct between components.
    const model = `${this.o.model}:${component}`;
    const c: ComponentDrift = {
      metrics,
      features: metrics.map((m) => `${m}.step`),
      windows: new StepFeatures(metrics),
      monitor: new ModelMonitor({
        model,
        thresholds: this.o.thresholds,
        minDriftSamples: this.o.minRows,
        driftWindowSize: this.o.windowRows ?? 4 * this.o.minRows,
        retrainCooldownMs: this.o.retrainCooldownMs,
        retrainOn: ['input_drift'],
        clock: this.clock,
        carried: this.carried?.(model),
      }),
    };
    this.components.set(component, c);
    return c;
  }
}

function metricNames(rows: ReadonlyArray<ReadonlyMap<string, number>>): string[] {
  const names = new Set<string>();
  for (const r of rows) for (const k of r.keys()) names.add(k);
  // Only metrics present in most rows: a rare metric would drop every row that lacks it.
  return [...names].filter((n) => rows.filter((r) => r.has(n)).length >= 0.9 * rows.length).sort();
}

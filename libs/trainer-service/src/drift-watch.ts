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
  monitor: ModelMonitor;
  /** Reference rows still being collected (baseline mode). */
  pending?: number[][];
}

/** A drift alert of one component, and the retraining trigger it fired (if any). */
export interface DriftFinding {
  component: string;
  alerts: Alert[];
  retrain?: RetrainTrigger;
}

/**
 * Input drift of the detector, per component: each component's metric rows (one row per
 * sample time, metrics in name order) are compared feature by feature with a reference
 * window — the champion's training window when it has one, otherwise the first rows seen
 * after the champion started serving — by PSI and KS (ModelMonitor's drift rule).
 */
export class DriftWatch {
  private readonly components = new Map<string, ComponentDrift>();
  private readonly clock: () => number;

  constructor(private readonly o: DriftWatchOptions) {
    this.clock = o.clock ?? Date.now;
  }

  /** Forgets every reference (a new champion serves): references are set or collected anew. */
  reset(reference?: ReadonlyMap<string, ReadonlyArray<ReadonlyMap<string, number>>>): void {
    this.components.clear();
    for (const [component, rows] of reference ?? []) {
      const metrics = metricNames(rows);
      const matrix = toMatrix(rows, metrics);
      if (matrix.length < this.o.minRows) continue;
      const c = this.create(component, metrics);
      c.monitor.setReference(matrix);
    }
  }

  /** Adds sampled rows of one component (reference first, then recent rows). */
  observe(component: string, rows: ReadonlyArray<ReadonlyMap<string, number>>): void {
    let c = this.components.get(component);
    if (!c) {
      const metrics = metricNames(rows);
      if (metrics.length === 0) return;
      c = this.create(component, metrics);
      c.pending = [];
    }
    for (const row of toMatrix(rows, c.metrics)) {
      if (c.pending) {
        c.pending.push(row);
        if (c.pending.length >= this.o.minRows) {
          c.monitor.setReference(c.pending);
          c.pending = undefined;
        }
      } else c.monitor.recordFeatures(row);
    }
  }

  /** Judges every component; returns the new alerts (and triggers) by component. */
  check(): DriftFinding[] {
    const out: DriftFinding[] = [];
    for (const [component, c] of this.components) {
      if (c.pending) continue;
      const report = c.monitor.check();
      if (report.alerts.length > 0 || report.retrain) out.push({ component, alerts: report.alerts, retrain: report.retrain });
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

  /** Metric names of a component's rows, in feature order (for messages). */
  metricsOf(component: string): string[] {
    return this.components.get(component)?.metrics ?? [];
  }

  private create(component: string, metrics: string[]): ComponentDrift {
    const c: ComponentDrift = {
      metrics,
      monitor: new ModelMonitor({
        // The component in the name keeps alert ids distinct between components.
        model: `${this.o.model}:${component}`,
        thresholds: this.o.thresholds,
        minDriftSamples: this.o.minRows,
        driftWindowSize: this.o.windowRows ?? 4 * this.o.minRows,
        retrainCooldownMs: this.o.retrainCooldownMs,
        retrainOn: ['input_drift'],
        clock: this.clock,
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

function toMatrix(rows: ReadonlyArray<ReadonlyMap<string, number>>, metrics: readonly string[]): number[][] {
  const out: number[][] = [];
  for (const r of rows) {
    const row = metrics.map((m) => r.get(m));
    if (row.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) out.push(row);
  }
  return out;
}

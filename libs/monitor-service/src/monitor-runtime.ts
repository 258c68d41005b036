import { deriveId, errorMessage, InvalidArgumentError } from '@x0/core';
import { ConsumerLoop, partitionOf, type Bus, type Delivery, type HandleResult, type OutboundMessage } from '@x0/bus';
import {
  Anomaly,
  COMPONENT_HEALTH_CODEC,
  EVENT_CODECS,
  STREAMS,
  decodeMetricBatch,
  eventSubject,
  metricsSubject,
  parseSubject,
  severityRank,
  severityToProto,
  statusSubject,
  validateMetricBatch,
  type MetricBatch,
  type MetricDeviation,
} from '@x0/contracts';
import { validateSample, type AnomalyDetector, type ComponentSample, type Detection } from '@x0/anomaly';
import type { Logger, ServiceStats } from '@x0/service-kit';
import { IncidentGate, type IncidentGateOptions, type MetricBaseline } from './incident-gate';
import { incidentSignature, metricZScores } from './incident-signature';
import { IncidentStore, MONITOR_INCIDENT_TTL_MS, type IncidentRecord } from './incident-store';
import { DetectorStateStore } from './state-store';

export interface MonitorRuntimeOptions {
  bus: Bus;
  logger: Logger;
  stats: ServiceStats;
  detector: AnomalyDetector;
  gate: IncidentGateOptions;
  snapshotIntervalMs: number;
  statusIntervalMs: number;
  maxBatch: number;
  /** Sample and batch times more than this far ahead of the clock are refused, ms (MONITOR_MAX_FUTURE_S; default: no limit). */
  maxFutureMs?: number;
  /** Consumer settings from the service context (ack wait, max deliveries, partition). */
  consumer: { ackWaitMs: number; maxDeliver: number; partition?: { index: number; count: number } };
  /** Recent anomalies kept for ListAnomalies. */
  recentAnomalies?: number;
  /** Called after each scoring call with its sample count and time (inference reports for the trainer). */
  onScored?: (samples: number, latencyMs: number) => void;
  /** Called once for each component the first time one of its batches arrives (e.g. to serve its adapter). */
  onNewComponent?: (component: string) => void;
  /** Called at start with the components whose state was restored, before the first batch is consumed. */
  onRestored?: (components: readonly string[]) => Promise<void>;
}

interface ComponentInfo {
  kind: string;
  lastAnomalyMs: number;
  lastStatusMs: number;
  lastSeverity: string;
}

/** Outputs remembered per input, so a redelivered batch republishes instead of rescoring. */
const OUTPUT_CACHE = 20_000;

/**
 * The monitor's consumer: metric batches in, Anomaly events out (through the incident gate),
 * live ComponentHealth on `x0.status.<component>`, detector state snapshotted to KV, open
 * incidents (with the detector state from before each) kept in KV across restarts.
 */
export class MonitorRuntime {
  readonly gate: IncidentGate;
  private readonly loop: ConsumerLoop<MetricBatch>;
  private readonly store: DetectorStateStore;
  private readonly incidents: IncidentStore;
  private readonly components = new Map<string, ComponentInfo>();
  private readonly recent: Anomaly[] = [];
  private readonly outputs = new Map<number, OutboundMessage[]>();
  private readonly baselines = new Map<string, { at: number; metrics: Map<string, { mean: number; std: number }> }>();
  /**
   * Each component's state from before any incident: its latest periodic snapshot taken while
   * it was quiet (no episode), or, for a component that had none yet, a snapshot taken when the
   * incident opened. The detector keeps learning while an incident lasts (it must keep scoring);
   * when the incident clears, the component goes back to this state, so a fault that lasted — an
   * action waiting for approval — does not become part of its normal and hide the next one.
   * (A whole batch is scored before the gate sees it, so a snapshot taken when an incident opens
   * may already hold that batch's faulty samples: the quiet one is preferred.) At start it holds
   * the restored snapshots, and for a component whose incident was open, the state stored with it.
   */
  private readonly quiet = new Map<string, Uint8Array>();
  private snapshotTimer?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  /** The latest persist (settled or not): each one starts after the one before it has ended. */
  private persisting: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: MonitorRuntimeOptions) {
    this.gate = new IncidentGate(o.gate);
    this.store = new DetectorStateStore(o.bus, o.logger);
    // An open incident's record is rewritten at each re-announcement: keep it well past that.
    this.incidents = new IncidentStore(o.bus, o.logger, Math.max(MONITOR_INCIDENT_TTL_MS, 2 * o.gate.realertMs));
    this.loop = new ConsumerLoop<MetricBatch>({
      bus: o.bus,
      service: 'monitor',
      stream: STREAMS.metrics.name,
      filterSubject: 'x0.metrics.>',
      maxBatch: o.maxBatch,
      ...o.consumer,
      logger: o.logger,
      observer: o.stats,
      decode: (data) => decodeMetricBatch(data),
      handleBatch: (items) => this.handleBatch(items),
    });
  }

  /** Restores detector state and open incidents from KV, then starts consuming and snapshotting. */
  async start(): Promise<void> {
    const restoredComponents: string[] = [];
    const { restored, skipped } = await this.store.restoreAll(this.o.detector, (component, state) => {
      this.quiet.set(component, state);
      restoredComponents.push(component);
    });
    let resumed = 0;
    for (const [component, r] of await this.incidents.loadAll()) {
      if (!this.owns(component)) continue;
      // The incident goes on: judged against its frozen normal, and when it clears the
      // detector goes back to the state from before it, not to the restored (faulty) one.
      this.gate.resume(component, r.incident);
      this.quiet.set(component, r.before);
      resumed++;
    }
    this.o.logger.info({ restored, skipped, openIncidents: resumed }, 'detector state restored from KV');
    await this.o.onRestored?.(restoredComponents);
    await this.loop.start();
    this.snapshotTimer = setInterval(() => {
      this.persist(this.keepQuiet).catch((err) => this.o.logger.warn({ err: errorMessage(err) }, 'snapshot failed'));
    }, this.o.snapshotIntervalMs);
    this.snapshotTimer.unref();
  }

  /**
   * Stops consuming, finishes the batch in hand, waits for a snapshot in progress, then writes a
   * last snapshot and the open incidents. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.snapshotTimer);
      await this.loop.stop();
      const written = await this.persist(); // (queued after one in progress)
      this.o.logger.info({ written, openIncidents: this.gate.openCount }, 'detector state snapshotted');
    })();
    return this.stopping;
  }

  /** Recent anomalies, newest first. */
  recentAnomalies(): readonly Anomaly[] {
    return this.recent;
  }

  componentInfo(component: string): ComponentInfo | undefined {
    return this.components.get(component);
  }

  handleBatch(items: readonly Delivery<MetricBatch>[]): HandleResult[] {
    const results: HandleResult[] = new Array(items.length);
    const samples: ComponentSample[] = [];
    const owner: number[] = [];
    const batchIds: string[] = new Array(items.length);
    const rejected: string[][] = items.map(() => []);
    const now = Date.now();

    for (let k = 0; k < items.length; k++) {
      const d = items[k];
      const cached = d.deliveries > 1 ? this.outputs.get(d.streamSeq) : undefined;
      if (cached) {
        results[k] = { type: 'ok', outputs: cached };
        continue;
      }
      try {
        const parsed = parseSubject(d.subject);
        if (parsed.type !== 'metrics') throw new InvalidArgumentError('subject', `is not a metrics subject: ${d.subject}`);
        const { batch, rejected: bad } = validateMetricBatch(d.value, { subjectComponent: parsed.component, fallbackId: `seq-${d.streamSeq}`, now, maxFutureMs: this.o.maxFutureMs });
        batchIds[k] = batch.id;
        for (const r of bad) rejected[k].push(r.reason);
        const kind = batch.labels['kind'] ?? '';
        const info = this.components.get(batch.component);
        if (!info) {
          this.components.set(batch.component, { kind, lastAnomalyMs: 0, lastStatusMs: 0, lastSeverity: '' });
          this.o.onNewComponent?.(batch.component);
        }
        else if (kind) info.kind = kind;
        for (const s of groupByTime(batch, kind)) {
          const why = validateSample(s);
          if (why) rejected[k].push(why);
          else {
            samples.push(s);
            owner.push(k);
          }
        }
        results[k] = { type: 'ok', outputs: [] };
      } catch (err) {
        if (!(err instanceof InvalidArgumentError)) throw err;
        results[k] = { type: 'invalid', reason: err.message };
      }
    }

    const scoreStart = performance.now();
    const detections = samples.length > 0 ? this.o.detector.scoreBatch(samples) : [];
    if (samples.length > 0) this.o.onScored?.(samples.length, performance.now() - scoreStart);
    const touched = new Map<string, Detection>();
    for (let i = 0; i < detections.length; i++) {
      const det = detections[i];
      const k = owner[i];
      if (det.rejected) {
        rejected[k].push(det.rejected);
        continue;
      }
      if (det.ignoredMetrics) rejected[k].push(ignoredMetricsReason(det, this.o.detector.status(det.component)?.metrics.length ?? 0));
      this.store.markDirty(det.component);
      touched.set(det.component, det);
      const decision = this.gate.observe(det.component, { severity: det.severity, timeMs: det.timeMs, metrics: det.metrics, values: samples[i].values }, (metric) =>
        this.baselineOf(det.component, metric),
      );
      if (decision.type === 'open' && !this.quiet.has(det.component)) this.quiet.set(det.component, this.o.detector.snapshot(det.component));
      // (at once: the same batch may open a new incident for the component after this one)
      if (decision.type === 'cleared') this.forgetIncident(det.component);
      if (decision.type === 'open' || decision.type === 'realert') this.incidents.markOpen(det.component);
      if (decision.type === 'open' || decision.type === 'realert') {
        // A re-announcement keeps the incident's severity, and every announcement describes the
        // metrics that started the incident against their normal from before it: the detector
        // may have adapted by now (see IncidentGate.onsetBaselines). It names the incident: an
        // opening announcement is its own, a re-announcement carries the first one's id and time.
        const incident = decision.type === 'realert' ? { id: decision.incidentId, startMs: decision.incidentStartMs, announcement: decision.announcement } : undefined;
        const anomaly = this.buildAnomaly(det, samples[i].values, batchIds[k], decision.severity, this.gate.onsetBaselines(det.component), incident);
        this.gate.opened(det.component, anomaly.meta!.id, det.timeMs);
        (results[k] as { outputs: OutboundMessage[] }).outputs.push({
          subject: eventSubject('anomaly', det.component),
          data: EVENT_CODECS.anomaly.encode(anomaly),
          id: anomaly.meta!.id,
        });
        this.remember(anomaly);
      }
    }

    for (let k = 0; k < items.length; k++) {
      const r = results[k];
      if (r.type === 'ok' && rejected[k].length > 0) r.rejected = rejected[k];
      if (r.type === 'ok' && items[k].deliveries === 1) this.cacheOutputs(items[k].streamSeq, r.outputs ?? []);
    }
    this.publishHealth(touched);
    return results;
  }

  /** Keeps a periodic snapshot as the component's pre-incident state when it was taken in quiet. */
  private readonly keepQuiet = (component: string, state: Uint8Array): void => {
    if (!this.gate.inEpisode(component)) this.quiet.set(component, state);
  };

  /**
   * Writes the open incidents, then the detector snapshots, then deletes the records of
   * incidents that cleared: in this order a crash between two writes never leaves a snapshot
   * that learnt from a fault without the state from before it. A component whose incident
   * record is not stored (its write failed, or the incident opened while this ran) keeps its
   * previous snapshot until the record is written. One persist at a time: a call made while
   * one runs starts when it has ended (the timer's and stop's). Returns the snapshots written.
   */
  private persist(written?: (component: string, state: Uint8Array) => void): Promise<number> {
    const run = this.persisting.then(() => this.persistOnce(written));
    this.persisting = run.catch(() => undefined);
    return run;
  }

  private async persistOnce(written?: (component: string, state: Uint8Array) => void): Promise<number> {
    const { failed } = await this.incidents.writeOpen((component) => this.incidentRecord(component));
    const snapshots = await this.store.flush(this.o.detector, written, (c) => failed.has(c) || this.incidents.awaitingWrite(c));
    await this.incidents.deleteCleared();
    return snapshots;
  }

  private incidentRecord(component: string): IncidentRecord | undefined {
    const incident = this.gate.incident(component);
    const before = this.quiet.get(component);
    return incident && before ? { incident, before } : undefined;
  }

  /** Whether this replica scores the component (its consumer's partition), as the consumer decides. */
  private owns(component: string): boolean {
    const p = this.o.consumer.partition;
    if (!p || p.count <= 1) return true;
    try {
      return partitionOf(metricsSubject(component), p.count) === p.index;
    } catch {
      return false;
    }
  }

  /** After an incident has cleared: the component's detector goes back to its state from before it. */
  private forgetIncident(component: string): void {
    this.incidents.markCleared(component);
    const before = this.quiet.get(component);
    if (!before) return;
    try {
      this.o.detector.restore(component, before);
      this.baselines.delete(component);
      this.store.markDirty(component);
    } catch (err) {
      // e.g. the forecaster was swapped during the incident: keep learning from the current state
      this.o.logger.warn({ component, err: errorMessage(err) }, 'pre-incident detector state not restored');
    }
  }

  /**
   * The detector's long-run mean and spread of a metric: the pre-incident normal for the gate.
   * Cached per component for a second, so the hot path does not build a status object per
   * sample (a long-run baseline barely moves in a second).
   */
  private baselineOf(component: string, metric: string): { mean: number; std: number } | undefined {
    const now = Date.now();
    let cached = this.baselines.get(component);
    if (!cached || now - cached.at > 1000) {
      const st = this.o.detector.status(component);
      cached = { at: now, metrics: new Map((st?.metrics ?? []).map((m) => [m.metric, { mean: m.mean, std: m.std }])) };
      this.baselines.set(component, cached);
    }
    return cached.metrics.get(metric);
  }

  /**
   * Each metric's deviation from the component's normal: the detector's per-metric score, or,
   * when larger, how far the value is from its normal, `baseline` (z ↦ 1 − exp(−(z/4)²), so
   * 4σ ≈ 0.63 and 8σ ≈ 0.98). Expected = the baseline mean, what an operator calls normal.
   */
  private deviations(det: Detection, values: ReadonlyMap<string, number>, baseline: (metric: string) => MetricBaseline | undefined): MetricDeviation[] {
    const fromDetector = new Map(det.metrics.map((m) => [m.metric, m]));
    const out: MetricDeviation[] = [];
    for (const [metric, value] of values) {
      const b = baseline(metric);
      const d = fromDetector.get(metric);
      const z = b && b.std > 0 ? Math.abs(value - b.mean) / Math.max(b.std, 0.02 * Math.abs(b.mean)) : 0;
      const zScore = 1 - Math.exp(-((z / 4) ** 2));
      out.push({ metric, value, expected: b?.mean ?? d?.expected ?? value, score: Math.max(zScore, d?.score ?? 0) });
    }
    return out.sort((a, b) => b.score - a.score).slice(0, 8);
  }

  /**
   * The Anomaly for an announcement. `onset` holds the pre-incident normal of the metrics that
   * started the incident (frozen by the gate); they are measured against it, every other metric
   * against the detector's current baseline. `incident`: the incident a re-announcement belongs
   * to; without it the anomaly opens its own (incident id = its id, announcement 1).
   */
  private buildAnomaly(
    det: Detection,
    values: ReadonlyMap<string, number>,
    batchId: string,
    severity: Detection['severity'],
    onset: ReadonlyMap<string, MetricBaseline>,
    incident?: { id: string; startMs: number; announcement: number },
  ): Anomaly {
    const info = this.components.get(det.component);
    const id = deriveId('an', batchId, det.component, det.timeMs);
    if (info) info.lastAnomalyMs = det.timeMs;
    const baseline = (metric: string) => onset.get(metric) ?? this.baselineOf(det.component, metric);
    const metrics = this.deviations(det, values, baseline);
    // The detector builds a window shape only for samples it flags itself; the gate also announces
    // on others (a deviation that persists, a re-announcement): the shape then comes from its state.
    const shape = det.severity !== 'none' ? det.signature : (this.o.detector.windowSignature(det.component, metrics[0]?.metric) ?? det.signature);
    return Anomaly.fromPartial({
      meta: { id, parentId: batchId, component: det.component, timeMs: det.timeMs, source: 'monitor' },
      score: Math.max(det.score, metrics[0]?.score ?? 0),
      severity: severityToProto(severity && severityRank(severity) > severityRank(det.severity) ? severity : det.severity),
      metrics,
      signature: Array.from(incidentSignature(shape, metricZScores(values, baseline))),
      detector: this.o.detector.info.detector,
      modelVersion: this.o.detector.info.modelVersion,
      windowStartMs: det.timeMs,
      windowEndMs: det.timeMs,
      kind: info?.kind ?? '',
      incidentId: incident?.id || id,
      incidentStartMs: incident?.startMs || det.timeMs,
      announcement: incident?.announcement ?? 1,
    });
  }

  private remember(a: Anomaly): void {
    this.recent.unshift(a);
    if (this.recent.length > (this.o.recentAnomalies ?? 1000)) this.recent.pop();
  }

  private cacheOutputs(seq: number, outputs: OutboundMessage[]): void {
    this.outputs.set(seq, outputs);
    if (this.outputs.size > OUTPUT_CACHE) this.outputs.delete(this.outputs.keys().next().value!);
  }

  /** Core-NATS ComponentHealth: at once on a severity change, otherwise at most every statusIntervalMs. */
  private publishHealth(latest: Map<string, Detection>): void {
    const nc = this.o.bus.nc;
    if (nc.isClosed() || nc.isDraining()) return;
    const now = Date.now();
    for (const [component, det] of latest) {
      const info = this.components.get(component);
      if (!info) continue;
      if (info.lastSeverity === det.severity && now - info.lastStatusMs < this.o.statusIntervalMs) continue;
      info.lastSeverity = det.severity;
      info.lastStatusMs = now;
      nc.publish(
        statusSubject(component),
        COMPONENT_HEALTH_CODEC.encode({
          component,
          timeMs: det.timeMs,
          score: det.score,
          severity: severityToProto(det.severity),
          phase: det.phase,
          openAnomalyId: this.gate.openAnomaly(component),
          openIncidentId: this.gate.openIncident(component),
        }),
      );
    }
  }
}

/** One ComponentSample per distinct sample time of a batch (all metrics at that time). */
export function groupByTime(batch: MetricBatch, kind: string): ComponentSample[] {
  const byTime = new Map<number, Map<string, number>>();
  for (const s of batch.samples) {
    let values = byTime.get(s.timeMs);
    if (!values) byTime.set(s.timeMs, (values = new Map()));
    values.set(s.metric, s.value);
  }
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([timeMs, values]) => ({ component: batch.component, timeMs, values, kind }));
}

/** Why metrics of a sample were not scored: the component is at the detector's limit of metrics. */
function ignoredMetricsReason(det: Detection, has: number): string {
  const names = det.ignoredMetrics ?? [];
  const listed = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
  return `component '${det.component}' already has ${has} metrics, the most one component may have: ${listed} not scored (split the metrics over several components)`;
}

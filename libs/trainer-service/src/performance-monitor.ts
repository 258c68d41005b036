import type { Subscription } from '@nats-io/transport-node';
import type { Bus } from '@x0/bus';
import { INFERENCE_REPORT_CODEC, type InferenceReport, type ModelPerformance, type PerformanceMetric } from '@x0/contracts';
import { errorMessage } from '@x0/core';
import { ModelMonitor, type Alert, type MetricStatus, type MonitorThresholds, type RetrainTrigger } from '@x0/model-monitor';
import type { AliasWatch, ModelRegistry } from '@x0/model-registry';
import { adapterModelName, DETECTOR_MODEL } from '@x0/model-serving';
import type { Logger, ServiceStats } from '@x0/service-kit';
import { rebuildAccuracy } from './accuracy-rebuild';
import { AdapterCoverage } from './adapter-coverage';
import { DriftWatch } from './drift-watch';
import { FeedbackTracker, type Feedback } from './feedback';
import { INCIDENT_MARGIN_MS, overlapsSpans, replayIncidentSpans, type IncidentTiming } from './incident-spans';
import { IncidentWindows } from './incident-windows';
import { recordInferenceReport } from './inference-reports';
import { isoSeconds } from './job-reason';
import { retrainRequest, type JobRequest, type JobTrigger } from './job-request';
import type { JobRunner } from './job-runner';
import { publishModelAlert } from './model-alert';
import type { RaisedAlerts } from './raised-alerts';
import { replayTrainingRows, sampleRecentMetrics } from './replay';
import { ServiceFailures } from './service-failures';

/** Settings of the performance monitor (from the trainer's configuration). */
export interface PerformanceSettings {
  thresholds: MonitorThresholds;
  minSamples: number;
  minDriftSamples: number;
  checkIntervalMs: number;
  driftSampleMessages: number;
  retrainCooldownMs: number;
  outcomesPerRetrain: number;
  /** Delay of drift-triggered jobs, ms. */
  driftSettleMs: number;
  /** Labelled predictions in a model's accuracy window (the most recent). */
  accuracyWindow: number;
  /** How long an incident lasts (see incidentSpansFromEvents, IncidentWindowsOptions.maxIncidentMs). */
  incidents: IncidentTiming;
  /**
   * Automatic adapters of the detector for components without one (see AdapterCoverage):
   * sampled rows before a component's first job, and the wait before another try (ms, 0: none).
   * Undefined: only on request (and `rebase`).
   */
  autoAdapters?: { minRows: number; retryMs: number; dataWindowMs: number };
}

/** Options of {@link PerformanceMonitor}. */
export interface PerformanceMonitorOptions {
  bus: Bus;
  registry: ModelRegistry;
  runner: JobRunner;
  /** The alerts in force, kept across restarts so a restart does not announce them again. */
  alerts: RaisedAlerts;
  logger: Logger;
  stats: ServiceStats;
  /** Served models and the service serving each (its dead letters of kind `failed` count as failures). */
  served: ReadonlyArray<{ model: string; service: string }>;
  settings: PerformanceSettings;
  clock?: () => number;
}

interface Watched {
  model: string;
  service: string;
  version: string;
  /** Versions whose predictions are the champion's: its own, and for the shipped version the bundled weights' version. */
  servedAs: ReadonlySet<string>;
  monitor: ModelMonitor;
  watch?: AliasWatch;
}

/**
 * The trainer's performance monitor. Per served model (its champion): accuracy from the labels
 * of predictions the champion made (feedback on another version is ignored),
 * error rate from inference reports plus the serving service's `failed` dead letters (inputs it
 * failed on every delivery; `rejected` ones are bad input, the publisher's problem), latency p95 from
 * the reports' latency samples; for the detector also input drift per component from a
 * sample of X0_METRICS against the champion's training window. Every check interval it
 * judges them (seed thresholds: accuracy < 0.7, error rate > 0.1, latency > 100 ms; drift:
 * PSI > 0.2 and KS p < 0.05), publishes a ModelAlert for each new crossing (once per crossing
 * and champion version, also across restarts: see RaisedAlerts) and queues a retraining job
 * for the model (at most once per cooldown). N verified outcomes of
 * parametrised actions on one component queue a job for that component's adapter; a component
 * without a detector adapter gets one queued once it has enough sampled rows (`autoAdapters`).
 */
export class PerformanceMonitor {
  readonly feedback: FeedbackTracker;
  private readonly watched = new Map<string, Watched>();
  private readonly drift: DriftWatch;
  /** When components had open incidents: their samples are not drift (see IncidentWindows). */
  private readonly incidents: IncidentWindows;
  private readonly failures: ServiceFailures;
  private readonly coverage?: AdapterCoverage;
  private readonly paramOutcomes = new Map<string, number>();
  /** Stored feedback events the latest rebuild of each model's accuracy window read. */
  private readonly replayed = new Map<string, number>();
  private readonly clock: () => number;
  private sub?: Subscription;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private metricsSeq = 0;
  /** When the previous check sampled X0_METRICS (0: none yet). */
  private lastSampleMs = 0;
  private stopping?: Promise<void>;

  constructor(private readonly o: PerformanceMonitorOptions) {
    this.clock = o.clock ?? Date.now;
    const s = o.settings;
    for (const { model, service } of o.served) {
      this.watched.set(model, { model, service, version: '', servedAs: new Set(), monitor: this.newMonitor(model) });
      const help = `Stored feedback events (labels or outcomes) the latest rebuild of the ${model} champion's accuracy window read`;
      o.stats.addGauge(`trainer_accuracy_replayed_${model.replace(/-/g, '_')}`, help, () => this.replayed.get(model) ?? 0);
    }
    this.drift = new DriftWatch({ model: DETECTOR_MODEL, thresholds: s.thresholds, minRows: s.minDriftSamples, retrainCooldownMs: s.retrainCooldownMs, clock: this.clock });
    this.incidents = new IncidentWindows({ keepMs: this.incidentsKeepMs(), marginMs: INCIDENT_MARGIN_MS, maxIncidentMs: s.incidents.maxIncidentMs });
    this.feedback = new FeedbackTracker({
      bus: o.bus,
      logger: o.logger,
      stats: o.stats,
      onFeedback: (f) => this.onFeedback(f),
      onParamOutcome: (component) => this.countParamOutcome(component),
    });
    this.failures = new ServiceFailures({ bus: o.bus, logger: o.logger });
    if (s.autoAdapters && this.watched.has(DETECTOR_MODEL)) {
      this.coverage = new AdapterCoverage({
        baseModel: DETECTOR_MODEL,
        registry: o.registry,
        jobs: () => o.runner.list(DETECTOR_MODEL, 1000),
        enqueue: (req) => o.runner.enqueue(req),
        logger: o.logger,
        clock: this.clock,
        ...s.autoAdapters,
      });
    }
  }

  /** Watches every served model's champion, starts the consumers and the check timer. */
  async start(): Promise<void> {
    // The champion watch rebuilds the accuracy window from the stored labels: their stores first.
    await this.feedback.open();
    for (const w of this.watched.values()) {
      w.watch = await this.o.registry.watchAliases(w.model, 'champion', (change) => this.onChampion(w, change.version, change.timeMs), {
        onError: (err) => this.o.logger.warn({ model: w.model, err: errorMessage(err) }, 'champion watch failed'),
      });
    }
    await this.feedback.start();
    await this.failures.start();
    this.incidents.watch(this.o.bus, this.o.logger);
    // What the live statuses said before this start is in the stored events: a restart does not take an incident's samples for drift.
    const nowMs = this.clock();
    const keepMs = this.incidentsKeepMs();
    // (the spans as they happened: the windows apply TRAINER_INCIDENT_MAX_S, also to one that goes on)
    this.incidents.remember(await replayIncidentSpans(this.o.bus, { sinceMs: nowMs - keepMs, tailMs: this.o.settings.incidents.tailMs }));
    this.sub = this.o.bus.nc.subscribe('x0.inference.>', {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.onReport(INFERENCE_REPORT_CODEC.decode(msg.data));
        } catch (e) {
          this.o.logger.debug({ err: errorMessage(e) }, 'bad inference report ignored');
        }
      },
    });
    this.timer = setInterval(() => void this.checkNow(), this.o.settings.checkIntervalMs);
    this.timer.unref();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      this.sub?.unsubscribe();
      this.incidents.stop();
      await this.checking;
      await Promise.all([...this.watched.values()].map((w) => w.watch?.stop()));
      await this.failures.stop();
      await this.feedback.stop();
    })();
    return this.stopping;
  }

  private incidentsKeepMs(): number {
    return Math.max(3_600_000, 2 * this.o.settings.checkIntervalMs);
  }

  /** Samples drift, judges every model, publishes alerts and queues jobs (one check at a time). */
  checkNow(): Promise<void> {
    this.checking ??= this.check()
      .catch((err) => this.o.logger.warn({ err: errorMessage(err) }, 'performance check failed'))
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  /** The performance of a model's champion, as the GetModelPerformance RPC reports it. */
  performance(model: string): ModelPerformance | undefined {
    const w = this.watched.get(model);
    if (!w) return undefined;
    const r = w.monitor.evaluate(this.clock());
    const worst = model === DETECTOR_MODEL ? this.drift.worst() : undefined;
    const drift = worst?.report.drift ?? r.drift;
    return {
      model,
      version: w.version,
      accuracy: metric(r.accuracy),
      errorRate: metric(r.errorRate),
      latencyP95Ms: metric(r.latencyP95Ms),
      // Input drift is judged for the detector only: no figure for the others.
      drift: model === DETECTOR_MODEL ? metric(drift) : undefined,
      alerts: this.alertsInForce(w),
    };
  }

  /**
   * The alerts in force for the champion, as recorded in x0_trainer_alerts: every one raised
   * and not yet ended, those carried over from before a restart included (until their metric
   * is judged recovered), drift ones per component (`input_drift:<component>`).
   */
  private alertsInForce(w: Watched): string[] {
    if (!w.version) return [];
    const names = this.o.alerts.inForce(w.model, w.version).map((a) => (a.model === w.model ? a.type : `${a.type}:${a.model.slice(w.model.length + 1)}`));
    return [...new Set(names)].sort();
  }

  /** A monitor for `version` of `model`, with the alerts an earlier run raised for that version. */
  private newMonitor(model: string, version = ''): ModelMonitor {
    const s = this.o.settings;
    return new ModelMonitor({
      model,
      thresholds: s.thresholds,
      minSamples: s.minSamples,
      retrainCooldownMs: s.retrainCooldownMs,
      feedbackWindowSize: s.accuracyWindow,
      retrainOn: ['accuracy_low', 'error_rate_high', 'latency_high'],
      clock: this.clock,
      carried: version ? this.o.alerts.carried(model, version, model) : [],
    });
  }

  /** `sinceMs`: when the alias moved to `version` (its record starts then, also after a restart). */
  private async onChampion(w: Watched, version: string, sinceMs: number): Promise<void> {
    // A new champion starts with a clean record: the old one's labels, latencies and alerts are not its own.
    w.version = version;
    w.servedAs = new Set([version]);
    await this.o.alerts.retain(w.model, version);
    w.monitor = this.newMonitor(w.model, version);
    if (w.model !== DETECTOR_MODEL) {
      await this.rebuildAccuracy(w, version, sinceMs);
      return;
    }
    const carried = (monitor: string) => this.o.alerts.carried(w.model, version, monitor);
    const rec = await this.o.registry.get(w.model, version).catch(() => undefined);
    // The shipped version is the bundled forecaster: a monitor not following the registry names it by the bundle's version.
    const bundled = rec?.lineage.config?.['baseVersion'];
    if (typeof bundled === 'string' && bundled && w.version === version) w.servedAs = new Set([version, bundled]);
    await this.rebuildAccuracy(w, version, sinceMs);
    const win = rec?.lineage.dataWindow;
    if (!win) {
      this.drift.reset(undefined, carried);
      return;
    }
    // Reference = the champion's training window, when X0_METRICS still holds it, without its incidents (the job trained without them).
    const incidents = await replayIncidentSpans(this.o.bus, { sinceMs: win.startMs, ...this.o.settings.incidents });
    const inIncident = overlapsSpans(incidents, INCIDENT_MARGIN_MS);
    const { rows: reference, lastSeq } = await replayTrainingRows(this.o.bus, win, (component, tMs) => inIncident(component, tMs, tMs));
    this.drift.reset(reference, carried);
    this.metricsSeq = lastSeq;
    this.o.logger.info({ model: w.model, version, components: reference.size }, 'drift reference set from the training window');
  }

  private async rebuildAccuracy(w: Watched, version: string, sinceMs: number): Promise<void> {
    const windowSize = this.o.settings.accuracyWindow;
    const read = await rebuildAccuracy({ feedback: this.feedback, logger: this.o.logger, model: w.model, version, servedAs: w.servedAs, monitor: w.monitor, windowSize, sinceMs });
    this.replayed.set(w.model, read);
  }

  /** A labelled prediction counts for the champion only when the champion made it. */
  private onFeedback(f: Feedback): void {
    const w = this.watched.get(f.model);
    if (!w) return;
    if (!w.servedAs.has(f.version)) {
      this.o.logger.debug({ model: f.model, version: f.version, champion: w.version }, "feedback on another version than the champion's ignored");
      return;
    }
    w.monitor.recordFeedback({ predicted: f.predicted, actual: f.actual, key: f.key });
  }

  private onReport(r: InferenceReport): void {
    const w = this.watched.get(r.model);
    if (!w) return;
    recordInferenceReport(w.monitor, r, this.failures.take(w.service));
  }

  private countParamOutcome(component: string): void {
    const n = (this.paramOutcomes.get(component) ?? 0) + 1;
    if (n < this.o.settings.outcomesPerRetrain) {
      this.paramOutcomes.set(component, n);
      return;
    }
    this.paramOutcomes.set(component, 0);
    this.enqueue({ model: 'action-params', component, trigger: 'outcomes', reason: `${n} new verified outcomes of parametrised actions on ${component}` });
  }

  private async check(): Promise<void> {
    if (this.watched.has(DETECTOR_MODEL)) {
      const previousSeq = this.metricsSeq;
      const sample = await sampleRecentMetrics(this.o.bus, this.o.settings.driftSampleMessages, previousSeq);
      this.metricsSeq = Math.max(this.metricsSeq, sample.lastSeq);
      // Only the newest messages were read when more were published since the previous check: each row stands for several
      // (not at the first check, whose backlog is the whole stream).
      const published = previousSeq > 0 ? sample.lastSeq - previousSeq : 0;
      // (after a gap longer than a data window, what was published since reaches back past it: no weight)
      const gapMs = this.clock() - this.lastSampleMs;
      const weight = gapMs <= (this.o.settings.autoAdapters?.dataWindowMs ?? 0) ? Math.max(1, published / this.o.settings.driftSampleMessages) : 1;
      this.lastSampleMs = this.clock();
      for (const [component, rows] of sample.rows) {
        const times = sample.times.get(component)!;
        const inIncident = times.map((t) => this.incidents.covers(component, t));
        this.drift.observe(component, rows, (i) => inIncident[i]);
        this.coverage?.observe(component, times.filter((_, i) => !inIncident[i]), weight);
      }
      for (const f of this.drift.check((component) => this.incidents.isOpen(component))) {
        const jobId = f.retrain ? await this.enqueue(this.jobFor(DETECTOR_MODEL, 'drift', f.retrain, f.component)) : '';
        if (f.retrain && this.coverage) await this.retrainAdapter(f.component, f.retrain);
        for (const a of f.alerts) await this.publishAlert(DETECTOR_MODEL, a, f.component, jobId, this.drift.featuresOf(f.component));
        for (const a of f.cleared) await this.o.alerts.cleared(a);
      }
      await this.coverage?.step();
    }
    for (const w of this.watched.values()) {
      const report = w.monitor.check();
      const jobId = report.retrain ? await this.enqueue(this.jobFor(w.model, 'degradation', report.retrain)) : '';
      for (const a of report.alerts) await this.publishAlert(w.model, a, w.model, jobId);
      for (const a of report.cleared) await this.o.alerts.cleared(a);
    }
  }

  /**
   * A drifting component's champion adapter was fitted to the old regime: a job (same trigger
   * and reason as the shared model's) trains it on the new one only — data from the alert on
   * (`dataSinceMs`), starting once half a data window of it has been published (at least the
   * drift settle time) — and the shadow gate, on held-out blocks of that data, promotes it only
   * when it beats that adapter there. A component without a champion adapter gets none here
   * (AdapterCoverage gives it a first one).
   */
  private async retrainAdapter(component: string, retrain: RetrainTrigger): Promise<void> {
    const model = adapterModelName(DETECTOR_MODEL, component);
    const champion = await this.o.registry.alias(model, 'champion').catch((err: unknown) => {
      this.o.logger.warn({ model, component, err: errorMessage(err) }, "drifting component's adapter not checked");
      return undefined;
    });
    if (!champion) return;
    const nowMs = this.clock();
    const plan = driftAdapterData({
      nowMs,
      windowMs: this.o.settings.autoAdapters?.dataWindowMs ?? 0,
      settleMs: this.o.settings.driftSettleMs,
      rowsTakeMs: this.coverage?.timeForMinRowsMs(component),
    });
    const note = `its adapter ${model} ${champion.version} is trained again ${plan.dataSinceMs ? `on the new regime (data from ${isoSeconds(nowMs)})` : "(the new regime alone would be too few rows at this component's rate)"}`;
    const req = retrainRequest({ model: DETECTOR_MODEL, trigger: 'drift', retrain, component, settleMs: plan.settleMs, nowMs, note, settleWhy: 'data of the new regime' });
    await this.enqueue({ ...req, component, dataSinceMs: plan.dataSinceMs });
  }

  private jobFor(model: string, trigger: JobTrigger, t: RetrainTrigger, component?: string): JobRequest {
    return retrainRequest({ model, trigger, retrain: t, component, settleMs: trigger === 'drift' ? this.o.settings.driftSettleMs : 0, nowMs: this.clock() });
  }

  private async enqueue(req: Parameters<JobRunner['enqueue']>[0]): Promise<string> {
    try {
      return (await this.o.runner.enqueue(req)).id;
    } catch (err) {
      this.o.logger.warn({ model: req.model, component: req.component, trigger: req.trigger, err: errorMessage(err) }, 'retraining job not queued');
      return '';
    }
  }

  private publishAlert(model: string, alert: Alert, component: string, jobId: string, featureNames: string[] = []): Promise<void> {
    const version = this.watched.get(model)?.version ?? '';
    return publishModelAlert({ bus: this.o.bus, alerts: this.o.alerts, logger: this.o.logger }, { model, version, alert, component, jobId, featureNames });
  }
}

function metric(m: MetricStatus): PerformanceMetric {
  return { value: m.value ?? 0, threshold: m.threshold, samples: m.samples, judged: m.breached !== null, breached: m.breached === true };
}

/**
 * When a drifting component's adapter job starts and what it trains on: data from the alert
 * (`nowMs`) on, once that holds the rows a job needs at the component's rate (`rowsTakeMs`:
 * how long the component takes to publish them), and at least half a data window and the drift
 * settle time later; a component too slow to publish them within a data window (or whose rate is
 * not known) trains on the whole window after the settle time and half a window.
 */
export function driftAdapterData(o: { nowMs: number; windowMs: number; settleMs: number; rowsTakeMs: number | undefined }): { settleMs: number; dataSinceMs?: number } {
  const newRegimeOnly = o.rowsTakeMs !== undefined && o.rowsTakeMs <= o.windowMs;
  const settleMs = Math.max(o.settleMs, o.windowMs / 2, newRegimeOnly ? o.rowsTakeMs! : 0);
  return newRegimeOnly ? { settleMs, dataSinceMs: o.nowMs } : { settleMs };
}

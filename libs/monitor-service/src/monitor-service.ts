import { errorMessage, InvalidArgumentError, NotFoundError } from '@x0/core';
import { incidentOfAnomaly, isSubjectToken, MonitorServiceService, severityFromProto, severityRank, severityToProto, type MonitorServiceServer } from '@x0/contracts';
import { BASE_WEIGHTS, createAnomalyDetector } from '@x0/anomaly';
import { createModelRegistry } from '@x0/model-registry';
import { DETECTOR_MODEL, forecasterWeights, InferenceReporter, ServedModel, swapLogFields, type ForecasterWeights } from '@x0/model-serving';
import type { ServiceModule } from '@x0/service-kit';
import { monitorConfigShape } from './monitor-config';
import { DetectorAdapters } from './detector-adapters';
import { MonitorRuntime } from './monitor-runtime';

/** The monitor service: wire-up of config, detector, runtime and gRPC API. */
export const monitorService: ServiceModule<typeof monitorConfigShape> = {
  name: 'monitor',
  configShape: monitorConfigShape,
  async create(ctx) {
    const c = ctx.config;
    const detector = await createAnomalyDetector({ warmupSamples: c.MONITOR_WARMUP_SAMPLES, forecaster: c.MONITOR_FORECASTER, jumpCounts: c.MONITOR_JUMP_COUNTS });
    ctx.logger.info({ backend: detector.info.backend, model: detector.info.modelVersion }, 'anomaly detector ready');
    ctx.stats.setModel({ name: detector.info.detector, version: detector.info.modelVersion, backend: detector.info.backend });
    // The forecaster follows detector@champion in the registry: a promotion or rollback is
    // swapped in between two batches, without a restart (docs/trainer.md).
    const reporter = new InferenceReporter({ nc: ctx.bus.nc, service: 'monitor', instance: c.X0_INSTANCE });
    let served: ServedModel<ForecasterWeights> | undefined;
    // Per-component LoRA adapters (detector--<component>@champion), merged into the base serving.
    let adapters: DetectorAdapters | undefined;
    if (c.MONITOR_FOLLOW_REGISTRY && c.MONITOR_FORECASTER === 'neural') {
      const registry = await createModelRegistry({ nc: ctx.bus.nc, source: 'monitor' });
      adapters = new DetectorAdapters({
        registry,
        detector,
        base: () => served?.current ?? BASE_WEIGHTS,
        onApplied: (a) =>
          a.skipped
            ? ctx.logger.warn({ component: a.component, model: a.model, version: a.skippedVersion, baseVersion: a.baseVersion, reason: a.skipped }, 'detector adapter not applied')
            : ctx.logger.info({ component: a.component, model: a.model, version: a.version, baseVersion: a.baseVersion, ...(a.swap ? swapLogFields(a.swap) : {}) }, 'detector adapter swapped in'),
        onError: (err) => ctx.logger.warn({ err: errorMessage(err) }, 'detector adapter not swapped'),
      });
      served = new ServedModel<ForecasterWeights>({
        registry,
        model: DETECTOR_MODEL,
        load: async (version) => {
          const model = await registry.loadModel(DETECTOR_MODEL, version);
          try {
            return forecasterWeights(model, version);
          } finally {
            model.dispose();
          }
        },
        onSwap: (info) => {
          detector.setForecasterWeights(served!.current!);
          ctx.stats.setModel({ name: detector.info.detector, version: detector.info.modelVersion, backend: detector.info.backend });
          ctx.logger.info(swapLogFields(info), 'detector forecaster swapped in');
          // the adapters were merged into the previous base: again into this one (or dropped when trained on another)
          adapters?.baseChanged();
        },
        onError: (err, version) => ctx.logger.warn({ model: DETECTOR_MODEL, version, err: errorMessage(err) }, 'detector forecaster not swapped'),
      });
    }
    const runtime = new MonitorRuntime({
      bus: ctx.bus,
      logger: ctx.logger,
      stats: ctx.stats,
      detector,
      gate: { minSeverity: c.MONITOR_MIN_SEVERITY, openSamples: c.MONITOR_OPEN_SAMPLES, deviationSigmas: c.MONITOR_DEVIATION_SIGMAS, extremeSigmas: c.MONITOR_EXTREME_SIGMAS, clearSamples: c.MONITOR_CLEAR_SAMPLES, realertMs: c.MONITOR_REALERT_S * 1000 },
      snapshotIntervalMs: c.MONITOR_SNAPSHOT_INTERVAL_S * 1000,
      statusIntervalMs: c.MONITOR_STATUS_INTERVAL_MS,
      maxBatch: c.MONITOR_BATCH,
      maxFutureMs: c.MONITOR_MAX_FUTURE_S * 1000,
      consumer: ctx.consumerOptions,
      onScored: (_samples, ms) => reporter.record(DETECTOR_MODEL, served?.version || 'bundled', ms),
      onNewComponent: (component) => adapters?.noteComponent(component),
      // The components scored before a restart: their adapters serve from their first batch on,
      // not a second or so after it (the backlog included).
      onRestored: async (components) => adapters?.preload(components),
    });
    ctx.stats.addGauge('monitor_component_adapters', 'Components scored with their own LoRA adapter merged into the shared forecaster', () => detector.componentForecasters().size);
    ctx.stats.addGauge('monitor_components', 'Components the detector tracks', () => detector.components().length);
    ctx.stats.addGauge('monitor_open_incidents', 'Components with an open incident', () => runtime.gate.openCount);
    ctx.stats.addGauge('monitor_samples_seen', 'Samples scored since start', () => detector.samplesSeen);

    ctx.serve<MonitorServiceServer>('x0.v1.MonitorService', MonitorServiceService, {
      getStatistics: () => ctx.stats.toProto(),
      getComponentStatus: (req) => {
        checkComponent(req.component, false);
        const s = detector.status(req.component);
        if (!s) throw new NotFoundError('component', req.component);
        const info = runtime.componentInfo(req.component);
        return {
          component: s.component,
          kind: info?.kind ?? '',
          phase: s.phase,
          samplesSeen: s.samplesSeen,
          lastScore: s.lastScore,
          lastSeverity: severityToProto(s.lastSeverity),
          lastSampleMs: s.lastTimeMs,
          lastAnomalyMs: info?.lastAnomalyMs ?? 0,
          metrics: s.metrics.map((m) => ({ metric: m.metric, lastValue: m.last, mean: m.mean, stddev: m.std, samples: m.samples })),
          forecaster: detector.componentForecasters().get(req.component) ?? '',
        };
      },
      listAnomalies: (req) => {
        checkComponent(req.component, true);
        const min = severityRank(severityFromProto(req.minSeverity));
        const limit = req.limit > 0 ? Math.min(req.limit, 1000) : 100;
        const anomalies = runtime
          .recentAnomalies()
          .filter(
            (a) =>
              (!req.component || a.meta?.component === req.component) &&
              // (an anomaly that names no incident is its own)
              (!req.incidentId || incidentOfAnomaly(a) === req.incidentId) &&
              severityRank(severityFromProto(a.severity)) >= min,
          )
          .slice(0, limit);
        return { anomalies };
      },
      getDetectorInfo: () => ({
        detector: detector.info.detector,
        modelVersion: detector.info.modelVersion,
        backend: detector.info.backend,
        samplesSeen: detector.samplesSeen,
        components: detector.components().length,
        warmupSamples: detector.info.warmupSamples,
        thresholds: { ...detector.info.thresholds },
        componentAdapters: detector.componentForecasters().size,
      }),
    });
    return {
      start: async () => {
        await served?.start();
        await adapters?.start();
        reporter.start();
        await runtime.start();
      },
      stop: async () => {
        await runtime.stop();
        reporter.stop();
        await adapters?.stop();
        await served?.stop();
        detector.dispose();
      },
    };
  },
};

/** A component name in a request: a subject token (as on `x0.metrics.<component>`), or '' where it may be left out. */
function checkComponent(component: string, optional: boolean): void {
  if (optional && component === '') return;
  if (!isSubjectToken(component)) {
    throw new InvalidArgumentError('component', `must be a component name (no '.', '*', '>' or whitespace, at most 128 characters), got ${JSON.stringify(component.length > 80 ? `${component.slice(0, 80)}…` : component)}`);
  }
}

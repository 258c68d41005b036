import { BASE_WEIGHTS, CLIP, normaliseWindows } from '@x0/anomaly';
import { openKeyValue } from '@x0/bus';
import { TrainerServiceService, type TrainerServiceServer } from '@x0/contracts';
import { errorMessage, InvalidArgumentError, NotFoundError } from '@x0/core';
import { selectBackend } from '@x0/lora';
import { createModelRegistry, type AliasWatch } from '@x0/model-registry';
import { DETECTOR_MODEL } from '@x0/model-serving';
import { DEFAULT_THRESHOLDS } from '@x0/model-monitor';
import type { ServiceModule } from '@x0/service-kit';
import { actionParamsTrainable } from './action-params-trainable';
import { adapterFailureBackoffMs, holdsAdapterBackoff } from './adapter-coverage';
import { rebaseAdapters } from './adapter-rebase';
import { detectorTrainable, type DetectorBase } from './detector-trainable';
import type { JobRequest } from './job-request';
import { JobRunner } from './job-runner';
import { listVersions, publishOperatorLabel, registerShippedModels, toModelVersion } from './model-api';
import { PerformanceMonitor } from './performance-monitor';
import { RaisedAlerts } from './raised-alerts';
import { checkAccuracyWindow, incidentTiming, trainerConfigShape } from './trainer-config';
import type { TrainableModel } from './trainable';

/** KV bucket of training job records. */
export const TRAINER_JOBS_BUCKET = 'x0_trainer_jobs';

/** What the trainer service is built from besides its configuration. */
export interface TrainerServiceDeps {
  /** The detector's shipped forecaster and input normalisation (from @x0/anomaly); without it the detector is not managed. */
  detectorBase?: DetectorBase;
}

/**
 * The trainer service: registers the shipped models (version 1) on first start, serves the
 * model registry over gRPC (ListModels, GetModel, Promote, Rollback), runs the performance
 * monitor (alerts + retraining triggers), training jobs with shadow evaluation (Train,
 * ListJobs, GetJob) and operator labels (Label). See docs/trainer.md.
 */
export function createTrainerService(deps: TrainerServiceDeps = {}): ServiceModule<typeof trainerConfigShape> {
  return {
    name: 'trainer',
    configShape: trainerConfigShape,
    async create(ctx) {
      const c = ctx.config;
      checkAccuracyWindow(c);
      const backend = await selectBackend();
      const registry = await createModelRegistry({ nc: ctx.bus.nc, source: 'trainer' });
      const trainables: TrainableModel[] = [actionParamsTrainable({ epochs: c.TRAINER_ADAPTER_EPOCHS })];
      if (deps.detectorBase) trainables.unshift(detectorTrainable({ base: deps.detectorBase, epochs: c.TRAINER_DETECTOR_EPOCHS, adapterEpochs: c.TRAINER_DETECTOR_ADAPTER_EPOCHS, incidents: incidentTiming(c) }));
      const registered = await registerShippedModels(registry, trainables, ctx.logger);
      for (const t of trainables) {
        const champion = await registry.alias(t.model, 'champion');
        ctx.stats.setModel({ name: t.model, version: champion?.version ?? '', backend });
      }

      let succeeded = 0;
      let failed = 0;
      let promoted = 0;
      const adapterBackoffMs = adapterFailureBackoffMs(c.TRAINER_ADAPTER_RETRY_S * 1000);
      const runner = new JobRunner({
        bus: ctx.bus,
        registry,
        kv: await openKeyValue(ctx.bus, TRAINER_JOBS_BUCKET, { description: 'x0 trainer: training jobs' }),
        trainables,
        logger: ctx.logger,
        settings: {
          dataWindowMs: c.TRAINER_DATA_WINDOW_S * 1000,
          holdoutFraction: c.TRAINER_HOLDOUT_FRACTION,
          shadowMargin: c.TRAINER_SHADOW_MARGIN,
          shadowMinSamples: c.TRAINER_SHADOW_MIN_SAMPLES,
          adapterShadowMinSamples: Math.min(10, c.TRAINER_SHADOW_MIN_SAMPLES),
          maxReplayMessages: c.TRAINER_MAX_REPLAY_MESSAGES,
          keepVersions: c.TRAINER_KEEP_VERSIONS,
          jobHistory: c.TRAINER_JOB_HISTORY,
          retrainCooldownMs: c.TRAINER_RETRAIN_COOLDOWN_S * 1000,
        },
        onFinished: (job) => {
          if (job.state === 'failed') failed++;
          else succeeded++;
          if (job.decision === 'promoted') promoted++;
        },
        // (a failed adapter job is the only record of that attempt: kept while its backoff lasts)
        retainJob: c.TRAINER_AUTO_ADAPTERS ? (job) => holdsAdapterBackoff(job, DETECTOR_MODEL, adapterBackoffMs, Date.now()) : undefined,
      });
      const monitor = new PerformanceMonitor({
        bus: ctx.bus,
        registry,
        runner,
        alerts: await RaisedAlerts.open(ctx.bus, ctx.logger),
        logger: ctx.logger,
        stats: ctx.stats,
        served: trainables.map((t) => ({ model: t.model, service: t.servedBy })),
        settings: {
          thresholds: {
            ...DEFAULT_THRESHOLDS,
            minAccuracy: c.TRAINER_MIN_ACCURACY,
            maxErrorRate: c.TRAINER_MAX_ERROR_RATE,
            maxLatencyP95Ms: c.TRAINER_MAX_LATENCY_MS,
            maxPsi: c.TRAINER_MAX_PSI,
            ksAlpha: c.TRAINER_KS_ALPHA,
          },
          minSamples: c.TRAINER_MIN_SAMPLES,
          minDriftSamples: c.TRAINER_MIN_DRIFT_SAMPLES,
          checkIntervalMs: c.TRAINER_CHECK_INTERVAL_MS,
          driftSampleMessages: c.TRAINER_DRIFT_SAMPLE_MESSAGES,
          retrainCooldownMs: c.TRAINER_RETRAIN_COOLDOWN_S * 1000,
          outcomesPerRetrain: c.TRAINER_OUTCOMES_PER_RETRAIN,
          driftSettleMs: c.TRAINER_DRIFT_SETTLE_S * 1000,
          accuracyWindow: c.TRAINER_ACCURACY_WINDOW,
          incidents: incidentTiming(c),
          autoAdapters: c.TRAINER_AUTO_ADAPTERS ? { minRows: c.TRAINER_ADAPTER_MIN_ROWS, retryMs: c.TRAINER_ADAPTER_RETRY_S * 1000, dataWindowMs: c.TRAINER_DATA_WINDOW_S * 1000 } : undefined,
        },
      });
      ctx.stats.addGauge('trainer_jobs_active', 'Training jobs queued or running', () => runner.active);
      ctx.stats.addGauge('trainer_jobs_succeeded', 'Training jobs that registered a version', () => succeeded);
      ctx.stats.addGauge('trainer_jobs_failed', 'Training jobs that failed', () => failed);
      ctx.stats.addGauge('trainer_promotions', 'Challengers promoted by shadow evaluation', () => promoted);

      ctx.serve<TrainerServiceServer>('x0.v1.TrainerService', TrainerServiceService, {
        getStatistics: () => ctx.stats.toProto(),
        listModels: (req) => listVersions(registry, req.model).then((models) => ({ models })),
        getModel: async (req) => toModelVersion(await registry.get(req.model, req.ref || 'champion')),
        promote: async (req) => {
          if (!req.version) throw new InvalidArgumentError('version', 'must not be empty');
          await registry.promote(req.model, req.version, req.alias || 'champion', { reason: req.reason || 'manual promotion', actor: req.actor });
          return toModelVersion(await registry.get(req.model, req.version));
        },
        rollback: async (req) => {
          const state = await registry.rollback(req.model, req.alias || 'champion', { reason: req.reason || 'manual rollback', actor: req.actor });
          return toModelVersion(await registry.get(req.model, state.version));
        },
        train: (req) =>
          runner.enqueue({ model: req.model, component: req.component, trigger: 'manual', reason: req.reason || `requested by ${req.actor || 'an operator'}`, actor: req.actor }),
        listJobs: (req) => ({ jobs: runner.list(req.model, req.limit > 0 ? Math.min(req.limit, 1000) : 50) }),
        getJob: (req) => runner.get(req.id),
        label: (req) => publishOperatorLabel(ctx.bus, monitor.feedback, req, ctx.logger),
        getModelPerformance: (req) => {
          const p = monitor.performance(req.model);
          if (!p) throw new NotFoundError('monitored model', req.model);
          return p;
        },
      });

      let schedule: NodeJS.Timeout | undefined;
      // The models row of GetStatistics (x0 stats) follows every move of each champion — a job's
      // promotion, `x0 models promote` or `rollback` — as the serving services do.
      const championWatches: AliasWatch[] = [];
      // A new champion of a base with per-component adapters: the adapters trained on the old
      // one no longer apply (the services serve the base alone there), so each is restored (an
      // earlier champion trained on these weights) or trained again — also for a move made while
      // the trainer was down (checked at start, once per move).
      let following = false;
      const rebaseDeps = { registry, enqueue: (req: JobRequest) => runner.enqueue(req), jobs: (model: string) => runner.list(model, 1000), logger: ctx.logger };
      // one run at a time: two at once could queue a component's job twice, or restore an adapter of a base that moved on
      let rebasing: Promise<void> = Promise.resolve();
      const rebase = (model: string, version: string) =>
        (rebasing = rebasing.then(() => rebaseAdapters(rebaseDeps, model, version)).catch((err: unknown) => ctx.logger.warn({ model, version, err: errorMessage(err) }, 'stale adapters not checked')));
      return {
        start: async () => {
          ctx.logger.info({ backend, registered, models: trainables.map((t) => t.model) }, 'trainer ready');
          for (const t of trainables) {
            const watch = await registry.watchAliases(
              t.model,
              'champion',
              (change) => {
                ctx.stats.setModel({ name: t.model, version: change.version, backend });
                if (following && t.perComponent) void rebase(t.model, change.version);
              },
              { onError: (err) => ctx.logger.warn({ model: t.model, err: errorMessage(err) }, 'champion watch failed') },
            );
            championWatches.push(watch);
          }
          following = true;
          await runner.start();
          await monitor.start();
          // the champions as the trainer finds them: adapters left stale by a move made while it was down
          for (const t of trainables.filter((x) => x.perComponent)) {
            const champion = await registry.alias(t.model, 'champion').catch(() => undefined);
            if (champion) await rebase(t.model, champion.version);
          }
          if (c.TRAINER_SCHEDULE_S > 0) {
            schedule = setInterval(() => {
              for (const t of trainables) {
                runner.enqueue({ model: t.model, trigger: 'schedule', reason: `every ${c.TRAINER_SCHEDULE_S} s` }).catch(() => undefined);
              }
            }, c.TRAINER_SCHEDULE_S * 1000);
            schedule.unref();
          }
        },
        stop: async () => {
          clearInterval(schedule);
          await Promise.all(championWatches.map((w) => w.stop()));
          await monitor.stop();
          await runner.stop();
        },
      };
    },
  };
}

/** The detector's shipped forecaster and input normalisation, from @x0/anomaly. */
export function anomalyDetectorBase(): DetectorBase {
  return { weights: BASE_WEIGHTS, normalise: normaliseWindows, clip: CLIP };
}

/** The trainer as `apps/trainer` runs it: the detector (from @x0/anomaly) and the action-parameter model. */
export const trainerService = createTrainerService({ detectorBase: anomalyDetectorBase() });

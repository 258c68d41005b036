import type { Bus } from '@x0/bus';
import type { TrainingJob } from '@x0/contracts';
import { errorMessage } from '@x0/core';
import type { ModelRegistry } from '@x0/model-registry';
import type { Logger } from '@x0/service-kit';
import { decideShadow } from './shadow';
import { STAGES, type Stage, type TrainableModel, type TrainContext, type TrainOutcome } from './trainable';

/** Settings of a job's training and shadow evaluation (from the trainer's configuration). */
export interface JobExecutionSettings {
  dataWindowMs: number;
  holdoutFraction: number;
  shadowMargin: number;
  shadowMinSamples: number;
  /** Shadow minimum for per-component adapter jobs (they see fewer outcomes). */
  adapterShadowMinSamples: number;
  maxReplayMessages: number;
  /** Versions of a model kept after a registration besides those an alias holds or can roll back to (`ModelRegistry.prune`); 0: every version. */
  keepVersions?: number;
}

/** What {@link executeJob} works with; the job's record and events go through `save`, `publish` and `finish`. */
export interface JobExecutionDeps {
  bus: Bus;
  registry: ModelRegistry;
  settings: JobExecutionSettings;
  logger: Logger;
  clock: () => number;
  /** Stores the job's record. */
  save(job: TrainingJob): Promise<void>;
  /** Publishes the job's event. */
  publish(job: TrainingJob): Promise<void>;
  /** Ends the job with `patch` (state, decision…). */
  finish(job: TrainingJob, patch: Partial<TrainingJob>): Promise<void>;
}

/**
 * Runs a job: marks it running, has `trainable` replay the data window and train a challenger
 * (each stage change and every 5 % of progress is published), then registers the challenger
 * (see {@link registerChallenger}) and finishes the job. Throws what training or the registry
 * throws; the caller records the job as failed.
 */
export async function executeJob(job: TrainingJob, trainable: TrainableModel, deps: JobExecutionDeps): Promise<void> {
  const s = deps.settings;
  const untilMs = deps.clock();
  job.state = 'running';
  job.startedMs = untilMs;
  await deps.save(job);
  await deps.publish(job);
  const outcome: TrainOutcome = await trainable.train({
    jobId: job.id,
    component: job.component,
    bus: deps.bus,
    registry: deps.registry,
    sinceMs: Math.max(untilMs - s.dataWindowMs, job.dataSinceMs),
    untilMs,
    holdoutFraction: s.holdoutFraction,
    maxReplayMessages: s.maxReplayMessages,
    progress: progressReporter(job, deps),
  });
  try {
    await registerChallenger(job, outcome, deps);
  } finally {
    outcome.dispose();
  }
}

/** The progress callback of a job: moves its stage and progress (never back) and publishes each stage change and every 5 %. */
function progressReporter(job: TrainingJob, deps: JobExecutionDeps): TrainContext['progress'] {
  let lastPublished = 0;
  return (stage, fraction) => {
    const [from, to] = STAGES[stage];
    const p = Math.min(1, Math.max(job.progress, from + (to - from) * Math.min(1, Math.max(0, fraction))));
    const stageChanged = job.stage !== stage;
    job.stage = stage;
    job.progress = p;
    if (stageChanged || p - lastPublished >= 0.05) {
      lastPublished = p;
      deps.publish(job).catch((err) => deps.logger.warn({ job: job.id, err: errorMessage(err) }, 'progress event not published'));
    }
  };
}

/**
 * Decides on the challenger from its shadow scores, registers it with its metrics and lineage,
 * moves the `challenger` alias to it and `champion` only when it wins by the margin, and
 * finishes the job as succeeded with the decision and its reason.
 */
async function registerChallenger(job: TrainingJob, outcome: TrainOutcome, deps: JobExecutionDeps): Promise<void> {
  const { registry, settings: s } = deps;
  const minSamples = job.component ? s.adapterShadowMinSamples : s.shadowMinSamples;
  const verdict = decideShadow(outcome.shadow, { margin: s.shadowMargin, minSamples });
  setStage(job, 'register');
  await deps.publish(job);
  const version = await nextVersion(registry, outcome.model);
  const sh = outcome.shadow;
  const metrics: Record<string, number> = {
    ...outcome.metrics,
    [`shadow_${sh.metric}_champion`]: sh.champion,
    [`shadow_${sh.metric}_challenger`]: sh.challenger,
    shadow_samples: sh.samples,
    shadow_improvement: verdict.improvement,
  };
  await registry.register({
    model: outcome.model,
    version,
    artifacts: outcome.artifacts,
    signature: outcome.signature,
    metrics: finiteOnly(metrics),
    lineage: {
      dataWindow: outcome.dataWindow,
      parentVersion: outcome.parentVersion || undefined,
      config: { ...outcome.config, job: job.id, trigger: job.trigger, shadow: { decision: verdict.decision, reason: verdict.reason, margin: s.shadowMargin } },
    },
    component: job.component,
    parentEventId: job.parentEventId || undefined,
  });
  await registry.promote(outcome.model, version, 'challenger', { reason: verdict.reason, parentEventId: job.id });
  if (verdict.decision === 'promote') {
    await registry.promote(outcome.model, version, 'champion', { reason: `shadow evaluation: ${verdict.reason}`, parentEventId: job.id });
  }
  if (s.keepVersions) await pruneVersions(deps, outcome.model, s.keepVersions);
  job.version = version;
  job.parentVersion = outcome.parentVersion;
  job.dataStartMs = outcome.dataWindow.startMs;
  job.dataEndMs = outcome.dataWindow.endMs;
  job.metrics = finiteOnly(metrics);
  await deps.finish(job, { state: 'succeeded', decision: verdict.decision === 'promote' ? 'promoted' : 'challenger', decisionReason: verdict.reason });
  deps.logger.info({ job: job.id, model: outcome.model, version, decision: job.decision, reason: verdict.reason }, 'training job done');
}

/** Retention after a registration: a failure is logged, not the job's (its version is registered). */
async function pruneVersions(deps: JobExecutionDeps, model: string, keep: number): Promise<void> {
  try {
    const { deleted, orphaned } = await deps.registry.prune(model, keep);
    if (deleted.length > 0) deps.logger.info({ model, deleted, keep }, 'old versions deleted (held no alias)');
    // (their records are gone: nothing else would ever find these objects again)
    for (const o of orphaned) deps.logger.warn({ model, ...o }, 'artifacts of a deleted version not deleted: remove the objects under artifactPrefix from x0_model_artifacts');
  } catch (err) {
    deps.logger.warn({ model, err: errorMessage(err) }, 'old versions not deleted');
  }
}

function setStage(job: TrainingJob, stage: Stage): void {
  job.stage = stage;
  if (stage !== 'done') job.progress = Math.max(job.progress, STAGES[stage][0]);
}

/** Next integer version of a registry model ('1' for the first). */
async function nextVersion(registry: ModelRegistry, model: string): Promise<string> {
  const versions = await registry.list(model).catch(() => []);
  const max = versions.reduce((m, v) => (/^\d+$/.test(v.version) ? Math.max(m, Number(v.version)) : m), 0);
  return String(max + 1);
}

function finiteOnly(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)));
}

import type { KV } from '@nats-io/kv';
import { publishMessage, type Bus } from '@x0/bus';
import { EVENT_CODECS, eventSubject, TrainingJob } from '@x0/contracts';
import { deriveId, errorMessage, FailedPreconditionError, InvalidArgumentError, newId, NotFoundError } from '@x0/core';
import type { ModelRegistry } from '@x0/model-registry';
import type { Logger } from '@x0/service-kit';
import { decideShadow } from './shadow';
import { STAGES, type Stage, type TrainableModel, type TrainOutcome } from './trainable';

/** What asked for a job. */
export type JobTrigger = 'manual' | 'degradation' | 'drift' | 'outcomes' | 'schedule';

/** A request for a training job. */
export interface JobRequest {
  model: string;
  component?: string;
  trigger: JobTrigger;
  reason?: string;
  parentEventId?: string;
  /** Do not start before this time (e.g. let a new regime accumulate data after a drift). */
  notBeforeMs?: number;
}

/** Settings of the runner (from the trainer's configuration). */
export interface JobRunnerSettings {
  dataWindowMs: number;
  holdoutFraction: number;
  shadowMargin: number;
  shadowMinSamples: number;
  /** Shadow minimum for per-component adapter jobs (they see fewer outcomes). */
  adapterShadowMinSamples: number;
  maxReplayMessages: number;
  jobHistory: number;
}

/** Options of {@link JobRunner}. */
export interface JobRunnerOptions {
  bus: Bus;
  registry: ModelRegistry;
  /** Job records (`x0_trainer_jobs`). */
  kv: KV;
  trainables: readonly TrainableModel[];
  settings: JobRunnerSettings;
  logger: Logger;
  /** Called when a job ends (for counters). */
  onFinished?(job: TrainingJob): void;
  clock?: () => number;
}

/**
 * Runs training jobs one at a time, in arrival order. A job replays its data window,
 * trains a challenger, scores champion and challenger on the held-out newest traffic
 * (shadow evaluation), registers the challenger with its metrics and lineage, moves the
 * `challenger` alias to it, and moves `champion` only when the challenger wins by the
 * configured margin — otherwise the reason is recorded (job, alias history, version
 * lineage, event). Every state and stage change, and every 5 % of progress, is published
 * as a TrainingEvent on `x0.events.training.<component or model>`; job records live in KV.
 * A request for a model (and component) that already has a queued job returns that job.
 */
export class JobRunner {
  private readonly trainables = new Map<string, TrainableModel>();
  private readonly jobs = new Map<string, TrainingJob>();
  private readonly queue: string[] = [];
  private readonly notBefore = new Map<string, number>();
  private readonly clock: () => number;
  private wake?: () => void;
  private loop?: Promise<void>;
  private stopping = false;
  private current?: string;

  constructor(private readonly o: JobRunnerOptions) {
    for (const t of o.trainables) this.trainables.set(t.model, t);
    this.clock = o.clock ?? Date.now;
  }

  /** Models that can be trained. */
  get models(): string[] {
    return [...this.trainables.keys()];
  }

  trainable(model: string): TrainableModel | undefined {
    return this.trainables.get(model);
  }

  /** Loads the job history; re-queues queued jobs and fails those a restart interrupted. Then runs. */
  async start(): Promise<void> {
    for await (const key of await this.o.kv.keys()) {
      const entry = await this.o.kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      const job = TrainingJob.fromJSON(entry.json());
      this.jobs.set(job.id, job);
    }
    for (const job of [...this.jobs.values()].sort((a, b) => a.createdMs - b.createdMs)) {
      if (job.state === 'queued') this.queue.push(job.id);
      else if (job.state === 'running') await this.finish(job, { state: 'failed', error: 'interrupted: the trainer stopped while the job ran' });
    }
    this.loop = this.run();
  }

  /** Stops taking jobs and waits for the running one to end. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  /**
   * Queues a job (or returns the queued one of the same model and component).
   * Throws InvalidArgumentError for an unknown model or a component on a shared model.
   */
  async enqueue(req: JobRequest): Promise<TrainingJob> {
    const t = this.trainables.get(req.model);
    if (!t) throw new InvalidArgumentError('model', `is not trainable here (known: ${this.models.join(', ')}), got ${JSON.stringify(req.model)}`);
    const component = req.component ?? '';
    if (component && !t.perComponent) throw new InvalidArgumentError('component', `model ${req.model} is shared: it has no per-component adapters`);
    if (this.stopping) throw new FailedPreconditionError('the trainer is stopping');
    // A running job trains on data from before this request: only a queued one already covers it.
    const pending = [...this.jobs.values()].find((j) => j.model === req.model && j.component === component && j.state === 'queued');
    if (pending) return TrainingJob.fromPartial(pending);
    const now = this.clock();
    const job = TrainingJob.fromPartial({
      id: newId('job', now),
      model: req.model,
      component,
      state: 'queued',
      trigger: req.trigger,
      reason: req.reason ?? '',
      stage: 'replay',
      progress: 0,
      createdMs: now,
      parentEventId: req.parentEventId ?? '',
    });
    this.jobs.set(job.id, job);
    if (req.notBeforeMs && req.notBeforeMs > now) this.notBefore.set(job.id, req.notBeforeMs);
    await this.save(job);
    await this.publish(job);
    this.queue.push(job.id);
    this.wake?.();
    this.o.logger.info({ job: job.id, model: job.model, component, trigger: job.trigger, reason: job.reason }, 'training job queued');
    return TrainingJob.fromPartial(job);
  }

  /** A job by id. Throws NotFoundError. */
  get(id: string): TrainingJob {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError('training job', id);
    return job;
  }

  /** Jobs, most recent first. */
  list(model = '', limit = 50): TrainingJob[] {
    return [...this.jobs.values()]
      .filter((j) => !model || j.model === model)
      .sort((a, b) => b.createdMs - a.createdMs || b.id.localeCompare(a.id))
      .slice(0, limit);
  }

  /** Jobs queued or running. */
  get active(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const id = this.queue.shift();
      if (!id) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const job = this.jobs.get(id);
      if (!job || job.state !== 'queued') continue;
      const wait = (this.notBefore.get(id) ?? 0) - this.clock();
      this.notBefore.delete(id);
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wake = () => {
            if (this.stopping) {
              clearTimeout(timer);
              resolve();
            }
          };
        });
        this.wake = undefined;
        if (this.stopping) break;
      }
      this.current = id;
      try {
        await this.execute(job);
      } catch (err) {
        this.o.logger.error({ job: id, err: errorMessage(err) }, 'training job failed');
        await this.finish(job, { state: 'failed', error: errorMessage(err) }).catch((e) => this.o.logger.error({ err: errorMessage(e) }, 'cannot record the failed job'));
      } finally {
        this.current = undefined;
      }
    }
  }

  private async execute(job: TrainingJob): Promise<void> {
    const t = this.trainables.get(job.model)!;
    const s = this.o.settings;
    const untilMs = this.clock();
    job.state = 'running';
    job.startedMs = untilMs;
    await this.save(job);
    await this.publish(job);
    let lastPublished = 0;
    const outcome: TrainOutcome = await t.train({
      jobId: job.id,
      component: job.component,
      bus: this.o.bus,
      registry: this.o.registry,
      sinceMs: untilMs - s.dataWindowMs,
      untilMs,
      holdoutFraction: s.holdoutFraction,
      maxReplayMessages: s.maxReplayMessages,
      progress: (stage, fraction) => {
        const [from, to] = STAGES[stage];
        const p = Math.min(1, Math.max(job.progress, from + (to - from) * Math.min(1, Math.max(0, fraction))));
        const stageChanged = job.stage !== stage;
        job.stage = stage;
        job.progress = p;
        if (stageChanged || p - lastPublished >= 0.05) {
          lastPublished = p;
          this.publish(job).catch((err) => this.o.logger.warn({ job: job.id, err: errorMessage(err) }, 'progress event not published'));
        }
      },
    });
    try {
      const minSamples = job.component ? s.adapterShadowMinSamples : s.shadowMinSamples;
      const verdict = decideShadow(outcome.shadow, { margin: s.shadowMargin, minSamples });
      this.setStage(job, 'register');
      await this.publish(job);
      const version = await this.nextVersion(outcome.model);
      const sh = outcome.shadow;
      const metrics: Record<string, number> = {
        ...outcome.metrics,
        [`shadow_${sh.metric}_champion`]: sh.champion,
        [`shadow_${sh.metric}_challenger`]: sh.challenger,
        shadow_samples: sh.samples,
        shadow_improvement: verdict.improvement,
      };
      await this.o.registry.register({
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
      await this.o.registry.promote(outcome.model, version, 'challenger', { reason: verdict.reason, parentEventId: job.id });
      if (verdict.decision === 'promote') {
        await this.o.registry.promote(outcome.model, version, 'champion', { reason: `shadow evaluation: ${verdict.reason}`, parentEventId: job.id });
      }
      job.version = version;
      job.parentVersion = outcome.parentVersion;
      job.dataStartMs = outcome.dataWindow.startMs;
      job.dataEndMs = outcome.dataWindow.endMs;
      job.metrics = finiteOnly(metrics);
      await this.finish(job, { state: 'succeeded', decision: verdict.decision === 'promote' ? 'promoted' : 'challenger', decisionReason: verdict.reason });
      this.o.logger.info({ job: job.id, model: outcome.model, version, decision: job.decision, reason: verdict.reason }, 'training job done');
    } finally {
      outcome.dispose();
    }
  }

  private setStage(job: TrainingJob, stage: Stage): void {
    job.stage = stage;
    if (stage !== 'done') job.progress = Math.max(job.progress, STAGES[stage][0]);
  }

  private async finish(job: TrainingJob, patch: Partial<TrainingJob>): Promise<void> {
    Object.assign(job, patch);
    job.finishedMs = this.clock();
    if (job.state === 'succeeded') {
      job.stage = 'done';
      job.progress = 1;
    }
    await this.save(job);
    await this.publish(job);
    this.o.onFinished?.(job);
    await this.prune();
  }

  /** Next integer version of a registry model ('1' for the first). */
  private async nextVersion(model: string): Promise<string> {
    const versions = await this.o.registry.list(model).catch(() => []);
    const max = versions.reduce((m, v) => (/^\d+$/.test(v.version) ? Math.max(m, Number(v.version)) : m), 0);
    return String(max + 1);
  }

  private async save(job: TrainingJob): Promise<void> {
    await this.o.kv.put(job.id, JSON.stringify(TrainingJob.toJSON(job)));
  }

  private async publish(job: TrainingJob): Promise<void> {
    const component = job.component || job.model;
    const id = deriveId('trn', job.id, job.state, job.stage, Math.round(job.progress * 100));
    const data = EVENT_CODECS.training.encode({
      meta: { id, parentId: job.parentEventId, component, timeMs: this.clock(), source: 'trainer' },
      job: TrainingJob.fromPartial(job),
    });
    await publishMessage(this.o.bus.js, { subject: eventSubject('training', component), data, id });
  }

  /** Keeps the most recent `jobHistory` finished jobs. */
  private async prune(): Promise<void> {
    const finished = [...this.jobs.values()].filter((j) => j.state === 'succeeded' || j.state === 'failed').sort((a, b) => b.createdMs - a.createdMs);
    for (const old of finished.slice(this.o.settings.jobHistory)) {
      this.jobs.delete(old.id);
      await this.o.kv.delete(old.id).catch(() => undefined);
    }
  }
}

function finiteOnly(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)));
}

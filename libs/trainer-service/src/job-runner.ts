import type { KV } from '@nats-io/kv';
import { type Bus, kvEntries, publishMessage } from '@x0/bus';
import { EVENT_CODECS, eventSubject, subjectToken, TrainingJob } from '@x0/contracts';
import { deriveId, errorMessage, FailedPreconditionError, InvalidArgumentError, newId, NotFoundError } from '@x0/core';
import type { ModelRegistry } from '@x0/model-registry';
import { isAdapterModelOf } from '@x0/model-serving';
import type { Logger } from '@x0/service-kit';
import { isoSeconds, withoutDelayNote } from './job-reason';
import { CarriedCooldowns } from './retrain-cooldown';
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
  /** Who asked (manual jobs). */
  actor?: string;
  parentEventId?: string;
  /** Do not start before this time (e.g. let a new regime accumulate data after a drift). Kept in the job record. */
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
  /**
   * Cooldown of alert-triggered jobs carried across restarts, ms (TRAINER_RETRAIN_COOLDOWN_S;
   * default 0: none). See {@link CarriedCooldowns}.
   */
  retrainCooldownMs?: number;
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
 * Runs training jobs one at a time: the oldest queued job that is due (a job with
 * `notBeforeMs` in the future waits without holding up the others). A job replays its data window,
 * trains a challenger, scores champion and challenger on the held-out newest traffic
 * (shadow evaluation), registers the challenger with its metrics and lineage, moves the
 * `challenger` alias to it, and moves `champion` only when the challenger wins by the
 * configured margin — otherwise the reason is recorded (job, alias history, version
 * lineage, event). Every state and stage change, and every 5 % of progress, is published
 * as a TrainingEvent on `x0.events.training.<component or model>`; job records live in KV.
 * A request for a model (and component) that already has a queued job returns that job,
 * except that a manual request takes over a queued automatic job (see {@link enqueue}).
 */
export class JobRunner {
  private readonly trainables = new Map<string, TrainableModel>();
  private readonly jobs = new Map<string, TrainingJob>();
  private readonly queue: string[] = [];
  private readonly cooldowns: CarriedCooldowns;
  private readonly clock: () => number;
  private wake?: () => void;
  private loop?: Promise<void>;
  private stopping = false;
  private current?: string;

  constructor(private readonly o: JobRunnerOptions) {
    for (const t of o.trainables) this.trainables.set(t.model, t);
    this.clock = o.clock ?? Date.now;
    this.cooldowns = new CarriedCooldowns(o.kv, o.settings.retrainCooldownMs ?? 0);
  }

  /** Models that can be trained. */
  get models(): string[] {
    return [...this.trainables.keys()];
  }

  trainable(model: string): TrainableModel | undefined {
    return this.trainables.get(model);
  }

  /**
   * Loads the job history and the carried retraining cooldowns; re-queues queued jobs (each
   * keeps its `notBeforeMs`), fails those a restart interrupted and those whose request is
   * invalid (stored by an older trainer). Then runs.
   */
  async start(): Promise<void> {
    for (const entry of await kvEntries(this.o.kv)) {
      if (CarriedCooldowns.isKey(entry.key)) {
        this.cooldowns.restore(entry.key, entry.json());
        continue;
      }
      const job = TrainingJob.fromJSON(entry.json());
      this.jobs.set(job.id, job);
    }
    for (const job of [...this.jobs.values()].sort((a, b) => a.createdMs - b.createdMs)) {
      if (job.state === 'queued') {
        try {
          this.check({ model: job.model, component: job.component });
        } catch (err) {
          // Its events cannot be published (the component is no subject token): record it as failed, quietly.
          Object.assign(job, { state: 'failed', error: `invalid request: ${errorMessage(err)}`, finishedMs: this.clock() });
          await this.save(job);
          this.o.logger.warn({ job: job.id, err: job.error }, 'stored training job dropped');
          continue;
        }
        this.queue.push(job.id);
      } else if (job.state === 'running') await this.finish(job, { state: 'failed', error: 'interrupted: the trainer stopped while the job ran' });
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
   * Queues a job, or returns the queued one of the same model and component. A manual
   * request takes over a queued automatic job instead: that job becomes the manual one (same
   * id, so the alert that asked for it still points at it), due at once, with the operator's
   * reason and actor and, after them, what it was (`took over the queued drift job …`).
   * The whole request is checked before anything is stored. Throws InvalidArgumentError for
   * an unknown model, a component on a shared model or a component that is no subject token;
   * FailedPreconditionError while stopping or for an alert-triggered request in a cooldown
   * carried over a restart.
   */
  async enqueue(req: JobRequest): Promise<TrainingJob> {
    const component = this.check(req);
    if (this.stopping) throw new FailedPreconditionError('the trainer is stopping');
    const now = this.clock();
    // A running job trains on data from before this request: only a queued one already covers it.
    const pending = [...this.jobs.values()].find((j) => j.model === req.model && j.component === component && j.state === 'queued');
    if (pending) return req.trigger === 'manual' && pending.trigger !== 'manual' ? this.takeOver(pending, req, now) : TrainingJob.fromPartial(pending);
    this.cooldowns.check(req.model, req.trigger, now);
    const job = TrainingJob.fromPartial({
      id: newId('job', now),
      model: req.model,
      component,
      state: 'queued',
      trigger: req.trigger,
      reason: req.reason ?? '',
      actor: req.actor ?? '',
      stage: 'replay',
      progress: 0,
      createdMs: now,
      parentEventId: req.parentEventId ?? '',
      notBeforeMs: req.notBeforeMs && req.notBeforeMs > now ? req.notBeforeMs : 0,
    });
    await this.save(job);
    this.jobs.set(job.id, job);
    const queued = TrainingJob.fromPartial(job);
    // Stored, so it will run: a lost event or cooldown record is logged, not thrown. The queued event goes out before the job can start.
    await this.publishQueued(job);
    this.queue.push(job.id);
    this.wake?.();
    await this.cooldowns.record(job.model, job.trigger, job.id, now).catch((err) => this.o.logger.warn({ job: job.id, err: errorMessage(err) }, 'retraining cooldown not recorded'));
    this.o.logger.info({ job: job.id, model: job.model, component, trigger: job.trigger, reason: job.reason, notBeforeMs: job.notBeforeMs }, 'training job queued');
    return queued;
  }

  /** The queued event of a stored job: a lost one is logged, not thrown (the job runs anyway). */
  private publishQueued(job: TrainingJob): Promise<void> {
    return this.publish(job).catch((err) => this.o.logger.warn({ job: job.id, err: errorMessage(err) }, 'queued event not published'));
  }

  /** Checks a request before anything is stored; returns its component ('' for none). */
  private check(req: Pick<JobRequest, 'model' | 'component'>): string {
    const t = this.trainables.get(req.model);
    if (!t) throw new InvalidArgumentError('model', `is not trainable here (known: ${this.models.join(', ')}), got ${JSON.stringify(req.model)}`);
    const component = req.component ?? '';
    if (!component) return '';
    if (!t.perComponent) throw new InvalidArgumentError('component', `model ${req.model} is shared: it has no per-component adapters`);
    // The job's events go to x0.events.training.<component>.
    return subjectToken(component, 'component');
  }

  /** A manual request takes over a queued automatic job: due now, the operator's reason and actor first. */
  private async takeOver(job: TrainingJob, req: JobRequest, now: number): Promise<TrainingJob> {
    const was = job.notBeforeMs > now ? `delayed ${job.trigger} job (it would have started at ${isoSeconds(job.notBeforeMs)})` : `${job.trigger} job`;
    const previous = { trigger: job.trigger, reason: job.reason };
    const reason = req.reason || `requested by ${req.actor || 'an operator'}`;
    // It starts now: what it was said about waiting no longer holds.
    Object.assign(job, { trigger: 'manual', actor: req.actor ?? '', notBeforeMs: 0, reason: `${reason}; took over the queued ${was}: ${withoutDelayNote(job.reason)}` });
    await this.save(job);
    const queued = TrainingJob.fromPartial(job);
    await this.publishQueued(job);
    this.wake?.();
    this.o.logger.info({ job: job.id, model: job.model, component: job.component, actor: job.actor, was: previous }, 'manual request took over a queued training job');
    return queued;
  }

  /** A job by id. Throws NotFoundError. */
  get(id: string): TrainingJob {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError('training job', id);
    return job;
  }

  /**
   * Jobs (of `model`, or all when it is ''), most recent first. Throws NotFoundError for a
   * model that is not trainable here and has no job in the history (a misspelt name would
   * otherwise list nothing, as if the model had no jobs).
   */
  list(model = '', limit = 50): TrainingJob[] {
    if (model && !this.trainables.has(model) && ![...this.jobs.values()].some((j) => j.model === model)) {
      const adapterOf = this.models.find((m) => isAdapterModelOf(m, model));
      const hint = adapterOf
        ? `the jobs of ${model.slice(adapterOf.length + 2)}'s adapter are listed under ${adapterOf} (component ${model.slice(adapterOf.length + 2)})`
        : `the trainer trains ${this.models.join(', ')}`;
      throw new NotFoundError('model', model, { hint });
    }
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
      const next = this.nextDue();
      if ('waitMs' in next) {
        // Woken by a new or taken-over job, by stop(), or when the earliest delayed job is due.
        await new Promise<void>((resolve) => {
          const timer = next.waitMs === undefined ? undefined : setTimeout(resolve, next.waitMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        continue;
      }
      const { job } = next;
      const id = job.id;
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

  /** The oldest queued job that is due (taken off the queue), or how long to wait for one (undefined: until woken). */
  private nextDue(): { job: TrainingJob } | { waitMs: number | undefined } {
    const now = this.clock();
    let waitMs: number | undefined;
    for (let i = 0; i < this.queue.length; ) {
      const job = this.jobs.get(this.queue[i]);
      if (!job || job.state !== 'queued') {
        this.queue.splice(i, 1);
        continue;
      }
      const wait = job.notBeforeMs - now;
      if (wait <= 0) {
        this.queue.splice(i, 1);
        return { job };
      }
      // setTimeout fires at once past 2^31-1 ms.
      waitMs = Math.min(waitMs ?? wait, wait, 2 ** 31 - 1);
      i++;
    }
    return { waitMs };
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
    // The trigger too: a job taken over by a manual request is queued again, as another event.
    const id = deriveId('trn', job.id, job.state, job.stage, Math.round(job.progress * 100), job.trigger);
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

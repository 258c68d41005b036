import type { KV } from '@nats-io/kv';
import type { Bus } from '@x0/bus';
import { TrainingJob } from '@x0/contracts';
import { errorMessage, FailedPreconditionError, NotFoundError } from '@x0/core';
import type { ModelRegistry } from '@x0/model-registry';
import { isAdapterModelOf } from '@x0/model-serving';
import type { Logger } from '@x0/service-kit';
import { publishJobEvent } from './job-events';
import { executeJob, type JobExecutionDeps, type JobExecutionSettings } from './job-execution';
import { JobQueue } from './job-queue';
import { checkJobRequest, newQueuedJob, takeOverJob, type JobRequest } from './job-request';
import { JobStore } from './job-store';
import type { TrainableModel } from './trainable';

/** Settings of the runner (from the trainer's configuration). */
export interface JobRunnerSettings extends JobExecutionSettings {
  jobHistory: number;
  /**
   * Cooldown of alert-triggered jobs carried across restarts, ms (TRAINER_RETRAIN_COOLDOWN_S;
   * default 0: none). See `CarriedCooldowns` (retrain-cooldown.ts).
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
  /** Finished jobs the history keeps beyond `jobHistory` while this holds (JobStoreOptions.retain). */
  retainJob?(job: TrainingJob): boolean;
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
  private readonly store: JobStore;
  private readonly queue: JobQueue;
  private readonly execution: JobExecutionDeps;
  private readonly clock: () => number;
  private loop?: Promise<void>;
  private stopping = false;
  private current?: string;

  constructor(private readonly o: JobRunnerOptions) {
    for (const t of o.trainables) this.trainables.set(t.model, t);
    this.clock = o.clock ?? Date.now;
    this.store = new JobStore(o.kv, { jobHistory: o.settings.jobHistory, retrainCooldownMs: o.settings.retrainCooldownMs ?? 0, retain: o.retainJob });
    this.queue = new JobQueue((id) => this.store.get(id), this.clock);
    this.execution = {
      bus: o.bus,
      registry: o.registry,
      settings: o.settings,
      logger: o.logger,
      clock: this.clock,
      save: (job) => this.store.save(job),
      publish: (job) => this.publish(job),
      finish: (job, patch) => this.finish(job, patch),
    };
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
    for (const job of await this.store.load()) {
      if (job.state === 'queued') {
        try {
          checkJobRequest(this.trainables, { model: job.model, component: job.component });
        } catch (err) {
          // Its events cannot be published (the component is no subject token): record it as failed, quietly.
          Object.assign(job, { state: 'failed', error: `invalid request: ${errorMessage(err)}`, finishedMs: this.clock() });
          await this.store.save(job);
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
    this.queue.wakeUp();
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
    const component = checkJobRequest(this.trainables, req);
    if (this.stopping) throw new FailedPreconditionError('the trainer is stopping');
    const now = this.clock();
    // A running job trains on data from before this request: only a queued one already covers it.
    const pending = this.store.findQueued(req.model, component);
    if (pending) return req.trigger === 'manual' && pending.trigger !== 'manual' ? this.takeOver(pending, req, now) : TrainingJob.fromPartial(pending);
    this.store.cooldowns.check(req.model, req.trigger, now, component);
    const job = newQueuedJob(req, component, now);
    await this.store.add(job);
    const queued = TrainingJob.fromPartial(job);
    // Stored, so it will run: a lost event or cooldown record is logged, not thrown. The queued event goes out before the job can start.
    await this.publishQueued(job);
    this.queue.push(job.id);
    this.queue.wakeUp();
    await this.store.cooldowns.record(job.model, job.trigger, job.id, now, component).catch((err) => this.o.logger.warn({ job: job.id, err: errorMessage(err) }, 'retraining cooldown not recorded'));
    this.o.logger.info({ job: job.id, model: job.model, component, trigger: job.trigger, reason: job.reason, notBeforeMs: job.notBeforeMs }, 'training job queued');
    return queued;
  }

  /** The queued event of a stored job: a lost one is logged, not thrown (the job runs anyway). */
  private publishQueued(job: TrainingJob): Promise<void> {
    return this.publish(job).catch((err) => this.o.logger.warn({ job: job.id, err: errorMessage(err) }, 'queued event not published'));
  }

  /** A manual request takes over a queued automatic job: due now, the operator's reason and actor first. */
  private async takeOver(job: TrainingJob, req: JobRequest, now: number): Promise<TrainingJob> {
    const previous = takeOverJob(job, req, now);
    await this.store.save(job);
    const queued = TrainingJob.fromPartial(job);
    await this.publishQueued(job);
    this.queue.wakeUp();
    this.o.logger.info({ job: job.id, model: job.model, component: job.component, actor: job.actor, was: previous }, 'manual request took over a queued training job');
    return queued;
  }

  /** A job by id. Throws NotFoundError. */
  get(id: string): TrainingJob {
    const job = this.store.get(id);
    if (!job) throw new NotFoundError('training job', id);
    return job;
  }

  /**
   * Jobs (of `model`, or all when it is ''), most recent first. Throws NotFoundError for a
   * model that is not trainable here and has no job in the history (a misspelt name would
   * otherwise list nothing, as if the model had no jobs).
   */
  list(model = '', limit = 50): TrainingJob[] {
    if (model && !this.trainables.has(model) && !this.store.hasJobsOf(model)) {
      const adapterOf = this.models.find((m) => isAdapterModelOf(m, model));
      const hint = adapterOf
        ? `the jobs of ${model.slice(adapterOf.length + 2)}'s adapter are listed under ${adapterOf} (component ${model.slice(adapterOf.length + 2)})`
        : `the trainer trains ${this.models.join(', ')}`;
      throw new NotFoundError('model', model, { hint });
    }
    return this.store.list(model, limit);
  }

  /** Jobs queued or running. */
  get active(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const next = this.queue.nextDue();
      if ('waitMs' in next) {
        // Woken by a new or taken-over job, by stop(), or when the earliest delayed job is due.
        await this.queue.wait(next.waitMs);
        continue;
      }
      const { job } = next;
      const id = job.id;
      this.current = id;
      try {
        await executeJob(job, this.trainables.get(job.model)!, this.execution);
      } catch (err) {
        this.o.logger.error({ job: id, err: errorMessage(err) }, 'training job failed');
        await this.finish(job, { state: 'failed', error: errorMessage(err) }).catch((e) => this.o.logger.error({ err: errorMessage(e) }, 'cannot record the failed job'));
      } finally {
        this.current = undefined;
      }
    }
  }

  private async finish(job: TrainingJob, patch: Partial<TrainingJob>): Promise<void> {
    Object.assign(job, patch);
    job.finishedMs = this.clock();
    if (job.state === 'succeeded') {
      job.stage = 'done';
      job.progress = 1;
    }
    await this.store.save(job);
    await this.publish(job);
    this.o.onFinished?.(job);
    await this.store.prune();
  }

  private publish(job: TrainingJob): Promise<void> {
    return publishJobEvent(this.o.bus, job, this.clock());
  }
}

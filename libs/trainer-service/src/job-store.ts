import type { KV } from '@nats-io/kv';
import { kvEntries } from '@x0/bus';
import { TrainingJob } from '@x0/contracts';
import { CarriedCooldowns } from './retrain-cooldown';

/** Options of {@link JobStore}. */
export interface JobStoreOptions {
  /** How many finished jobs to keep. */
  jobHistory: number;
  /** Cooldown of alert-triggered jobs carried across restarts, ms (0: none). */
  retrainCooldownMs: number;
  /** Finished jobs kept beyond `jobHistory` while this says they still matter (e.g. a failed adapter job's backoff). */
  retain?(job: TrainingJob): boolean;
}

/**
 * The training job records, in memory and in the job bucket (`x0_trainer_jobs`, keyed by job
 * id), and the retraining cooldowns carried across restarts in the same bucket
 * ({@link CarriedCooldowns}). Keeps the most recent `jobHistory` finished jobs (and older ones
 * `retain` still holds).
 */
export class JobStore {
  readonly cooldowns: CarriedCooldowns;
  private readonly jobs = new Map<string, TrainingJob>();

  constructor(
    private readonly kv: KV,
    private readonly o: JobStoreOptions,
  ) {
    this.cooldowns = new CarriedCooldowns(kv, o.retrainCooldownMs);
  }

  /** Reads the job records and the carried cooldowns stored by earlier runs; returns the jobs, oldest first. */
  async load(): Promise<TrainingJob[]> {
    for (const entry of await kvEntries(this.kv)) {
      if (CarriedCooldowns.isKey(entry.key)) {
        this.cooldowns.restore(entry.key, entry.json());
        continue;
      }
      const job = TrainingJob.fromJSON(entry.json());
      this.jobs.set(job.id, job);
    }
    return [...this.jobs.values()].sort((a, b) => a.createdMs - b.createdMs);
  }

  /** A job by id, or undefined. */
  get(id: string): TrainingJob | undefined {
    return this.jobs.get(id);
  }

  /** The queued job of `model` and `component` ('' for none), if any. */
  findQueued(model: string, component: string): TrainingJob | undefined {
    return [...this.jobs.values()].find((j) => j.model === model && j.component === component && j.state === 'queued');
  }

  /** True when the history holds a job of `model`. */
  hasJobsOf(model: string): boolean {
    return [...this.jobs.values()].some((j) => j.model === model);
  }

  /** Jobs (of `model`, or all when it is ''), most recent first. */
  list(model: string, limit: number): TrainingJob[] {
    return [...this.jobs.values()]
      .filter((j) => !model || j.model === model)
      .sort((a, b) => b.createdMs - a.createdMs || b.id.localeCompare(a.id))
      .slice(0, limit);
  }

  /** Stores a new job, then keeps it. */
  async add(job: TrainingJob): Promise<void> {
    await this.save(job);
    this.jobs.set(job.id, job);
  }

  /** Stores a job's record as it is now. */
  async save(job: TrainingJob): Promise<void> {
    await this.kv.put(job.id, JSON.stringify(TrainingJob.toJSON(job)));
  }

  /** Keeps the most recent `jobHistory` finished jobs, and older ones `retain` still holds. */
  async prune(): Promise<void> {
    const finished = [...this.jobs.values()].filter((j) => j.state === 'succeeded' || j.state === 'failed').sort((a, b) => b.createdMs - a.createdMs);
    for (const old of finished.slice(this.o.jobHistory)) {
      if (this.o.retain?.(old)) continue;
      this.jobs.delete(old.id);
      await this.kv.delete(old.id).catch(() => undefined);
    }
  }
}

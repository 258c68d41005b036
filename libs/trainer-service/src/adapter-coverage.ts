import type { TrainingJob } from '@x0/contracts';
import { errorMessage } from '@x0/core';
import type { ModelRegistry } from '@x0/model-registry';
import { adapterModelName } from '@x0/model-serving';
import type { Logger } from '@x0/service-kit';
import { isoSeconds } from './job-reason';
import type { JobRequest, JobTrigger } from './job-request';

/** Options of {@link AdapterCoverage}. */
export interface AdapterCoverageOptions {
  /** The model with per-component adapters (the detector). */
  baseModel: string;
  registry: Pick<ModelRegistry, 'models' | 'list'>;
  /** Jobs of `baseModel` (its components' adapter jobs included), most recent first: the job history. */
  jobs(): readonly TrainingJob[];
  enqueue(req: JobRequest): Promise<TrainingJob>;
  logger: Logger;
  /** Rows of a component (outside incidents) sampled since the trainer started before it gets its first adapter job. */
  minRows: number;
  /** A component without a champion adapter gets another job this long after its latest attempt, ms (0: never). */
  retryMs: number;
  /** Most registry look-ups (components seen for the first time) in one {@link step}. */
  lookupsPerStep?: number;
  clock?: () => number;
}

interface Seen {
  rows: number;
  firstMs: number;
  /** Its latest adapter attempt (a job queued, a version registered), ms; 0: none; undefined: not looked up yet. */
  lastAttemptMs?: number;
  /** Its adapter has a champion: nothing more to do here (a base move is `rebaseAdapters`' business). */
  served?: boolean;
}

/** Trigger of the jobs {@link AdapterCoverage} queues. */
export const BASELINE_TRIGGER: JobTrigger = 'baseline';

/**
 * Gives every component the trainer sees its own adapter of `baseModel` without an operator
 * asking: once a component has `minRows` sampled rows, a job with trigger `baseline` trains its
 * first adapter (the shadow gate decides whether it serves, as for any adapter job). A
 * component whose adapter did not win (it stayed a challenger, or the job failed) is tried
 * again `retryMs` after its latest attempt, on newer data; one with a champion adapter is left
 * alone. One such job is queued or running at a time, so a thousand new components trickle
 * through the queue instead of flooding it, and the oldest-seen component goes first. What was
 * tried survives a restart in the job history and the registry (read once per component).
 */
export class AdapterCoverage {
  private readonly seen = new Map<string, Seen>();
  private readonly clock: () => number;

  constructor(private readonly o: AdapterCoverageOptions) {
    this.clock = o.clock ?? Date.now;
  }

  /** Counts `rows` more sampled rows of `component` (outside its incidents). */
  observe(component: string, rows: number): void {
    if (rows <= 0) return;
    const s = this.seen.get(component);
    if (s) s.rows += rows;
    else this.seen.set(component, { rows, firstMs: this.clock() });
  }

  /**
   * Queues the next due adapter job, if any and none of its kind is queued or running; returns
   * it. A registry that cannot be read is logged and tried again at the next step.
   */
  async step(): Promise<TrainingJob | undefined> {
    try {
      return await this.next();
    } catch (err) {
      this.o.logger.warn({ model: this.o.baseModel, err: errorMessage(err) }, 'adapters of components without one not checked');
      return undefined;
    }
  }

  private async next(): Promise<TrainingJob | undefined> {
    const jobs = this.o.jobs();
    const active = (j: TrainingJob) => j.state === 'queued' || j.state === 'running';
    if (jobs.some((j) => j.trigger === BASELINE_TRIGGER && active(j))) return undefined;
    const busy = new Set(jobs.filter((j) => j.component && active(j)).map((j) => j.component));
    const now = this.clock();
    let lookups = this.o.lookupsPerStep ?? 100;
    let models: Set<string> | undefined;
    const candidates = [...this.seen].filter(([c, s]) => s.rows >= this.o.minRows && !s.served && !busy.has(c)).sort((a, b) => a[1].firstMs - b[1].firstMs || a[0].localeCompare(b[0]));
    for (const [component, s] of candidates) {
      const model = adapterModelName(this.o.baseModel, component);
      if (s.lastAttemptMs === undefined) {
        if (lookups-- <= 0) break;
        models ??= new Set(await this.o.registry.models());
        const latestJob = jobs.find((j) => j.component === component)?.createdMs ?? 0;
        const found = models.has(model) ? await this.registered(model) : { served: false, latestMs: 0 };
        s.served = found.served;
        s.lastAttemptMs = Math.max(latestJob, found.latestMs);
        if (s.served) continue;
      }
      let reason: string;
      if (s.lastAttemptMs === 0) {
        reason = `${component} has ${s.rows} sampled rows and no adapter of ${this.o.baseModel}: its first adapter`;
      } else {
        if (this.o.retryMs <= 0 || now - s.lastAttemptMs < this.o.retryMs) continue;
        // An operator may have promoted one meanwhile.
        const found = await this.registered(model);
        if (found.served) {
          s.served = true;
          continue;
        }
        reason = `${component}'s adapter of ${this.o.baseModel} has not won since ${isoSeconds(s.lastAttemptMs)} (no champion): trying again on newer data`;
      }
      s.lastAttemptMs = now;
      try {
        const job = await this.o.enqueue({ model: this.o.baseModel, component, trigger: BASELINE_TRIGGER, reason });
        this.o.logger.info({ model: this.o.baseModel, component, job: job.id, reason }, 'adapter queued for a component without one');
        return job;
      } catch (err) {
        this.o.logger.warn({ model: this.o.baseModel, component, err: errorMessage(err) }, 'adapter job not queued');
        return undefined;
      }
    }
    return undefined;
  }

  /** Whether adapter `model` has a champion, and when its latest version was registered (0: none). */
  private async registered(model: string): Promise<{ served: boolean; latestMs: number }> {
    const versions = await this.o.registry.list(model);
    return { served: versions.some((v) => v.aliases.includes('champion')), latestMs: versions.reduce((m, v) => Math.max(m, v.createdMs), 0) };
  }
}

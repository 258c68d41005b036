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
  registry: Pick<ModelRegistry, 'alias' | 'list'>;
  /** Jobs of `baseModel` (its components' adapter jobs included), most recent first: the job history. */
  jobs(): readonly TrainingJob[];
  enqueue(req: JobRequest): Promise<TrainingJob>;
  logger: Logger;
  /** Rows of a component (outside incidents) sampled within the last `dataWindowMs` before it gets an adapter job. */
  minRows: number;
  /** What a job trains on (TRAINER_DATA_WINDOW_S), ms: rows older than that do not count. */
  dataWindowMs: number;
  /** A component whose adapter did not win gets another job this long after its latest attempt, ms (0: never). */
  retryMs: number;
  /** Most components looked up in the registry in one {@link step} (default 100). */
  lookupsPerStep?: number;
  clock?: () => number;
}

interface Seen {
  /** Sampled rows by time bucket (`floor(timeMs / bucketMs)`), the last data window's only. */
  buckets: Map<number, number>;
  firstMs: number;
  /** When its next job may be queued (ms); undefined: not looked up yet. */
  dueMs?: number;
  /** The base champion version its champion adapter was trained on, while that is the base's champion: nothing to do. */
  servedOn?: string;
}

/** Trigger of the jobs {@link AdapterCoverage} queues. */
export const BASELINE_TRIGGER: JobTrigger = 'baseline';

const DAY_MS = 86_400_000;
/** Buckets per data window: rows are counted to within a twelfth of it. */
const BUCKETS = 12;

/**
 * Gives every component the trainer sees its own adapter of `baseModel` without an operator
 * asking: once `minRows` of a component's rows were sampled within the last data window (what
 * a job trains on), a job with trigger `baseline` trains its adapter (the shadow gate decides
 * whether it serves, as for any adapter job). A component whose adapter did not win (it stayed
 * a challenger) is tried again `retryMs` after its latest attempt — any job of it, or version
 * registered for it — on newer data; one whose job failed (too few windows, say) a day after it;
 * one with a champion adapter trained on the base's current champion is left alone (a champion
 * adapter of an earlier base counts as none: the services do not apply it). One such job is
 * queued or running at a time, so a thousand new components trickle through the queue instead
 * of flooding it, and the oldest-seen component goes first. What was tried is read from the job
 * history and the registry (once per component, and again when it is due), so it survives a
 * restart; a job a restart interrupted is no attempt.
 */
export class AdapterCoverage {
  private readonly seen = new Map<string, Seen>();
  private readonly clock: () => number;
  private readonly bucketMs: number;
  /** After a job that failed (too few windows, say): a day, at most `retryMs` when that is set. */
  private readonly failureBackoffMs: number;

  constructor(private readonly o: AdapterCoverageOptions) {
    this.clock = o.clock ?? Date.now;
    this.bucketMs = Math.max(1, Math.ceil(o.dataWindowMs / BUCKETS));
    this.failureBackoffMs = adapterFailureBackoffMs(o.retryMs);
  }

  /**
   * Counts sampled rows of `component` (outside its incidents) at their times (ms), each as
   * `weight` rows: a check that read only the newest part of what was published since the
   * previous one counts each row it saw for the ones it did not read (published / read).
   */
  observe(component: string, timesMs: Iterable<number>, weight = 1): void {
    let s = this.seen.get(component);
    for (const t of timesMs) {
      s ??= this.seen.set(component, { buckets: new Map(), firstMs: this.clock() }).get(component)!;
      const b = Math.floor(t / this.bucketMs);
      s.buckets.set(b, (s.buckets.get(b) ?? 0) + weight);
    }
    // (a served or waiting component is not counted at each step: its old buckets go here)
    if (s && s.buckets.size > BUCKETS + 1) this.dropOld(s);
  }

  /** Time buckets of `component` held (at most 13: the window's and the current one's). */
  heldBuckets(component: string): number {
    return this.seen.get(component)?.buckets.size ?? 0;
  }

  /** The component's adapter job could train on rows from this long back to get `minRows` at its rate (from the last data window); undefined when it has no rows there. */
  timeForMinRowsMs(component: string): number | undefined {
    const rows = this.rowsInWindow(component);
    return rows > 0 ? (this.o.minRows / rows) * this.o.dataWindowMs : undefined;
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

  /** Rows of a component within the last data window, as sampled (older buckets are dropped). */
  rowsInWindow(component: string): number {
    const s = this.seen.get(component);
    if (!s) return 0;
    this.dropOld(s);
    let rows = 0;
    for (const n of s.buckets.values()) rows += n;
    return Math.round(rows);
  }

  /** Forgets the buckets older than the last data window. */
  private dropOld(s: Seen): void {
    const from = Math.floor((this.clock() - this.o.dataWindowMs) / this.bucketMs) + 1;
    for (const b of s.buckets.keys()) if (b < from) s.buckets.delete(b);
  }

  private async next(): Promise<TrainingJob | undefined> {
    const jobs = this.o.jobs();
    const active = (j: TrainingJob) => j.state === 'queued' || j.state === 'running';
    if (jobs.some((j) => j.trigger === BASELINE_TRIGGER && active(j))) return undefined;
    const busy = new Set(jobs.filter((j) => j.component && active(j)).map((j) => j.component));
    const now = this.clock();
    const due = [...this.seen].filter(([c, s]) => !busy.has(c) && !(s.dueMs !== undefined && s.dueMs > now) && this.rowsInWindow(c) >= this.o.minRows);
    // (the registry is read only when some component may be due)
    if (due.length === 0) return undefined;
    const base = (await this.o.registry.alias(this.o.baseModel, 'champion'))?.version ?? '';
    let lookups = this.o.lookupsPerStep ?? 100;
    const candidates = due.filter(([, s]) => s.servedOn !== base).sort((a, b) => a[1].firstMs - b[1].firstMs || a[0].localeCompare(b[0]));
    for (const [component, s] of candidates) {
      // Looked up when first due, and again whenever due: an operator may have promoted one, or a job run, meanwhile.
      if (lookups-- <= 0) break;
      const found = await this.state(component, jobs, base);
      s.servedOn = found.served ? base : undefined;
      s.dueMs = found.dueMs;
      if (found.served || found.dueMs > now) continue;
      const rows = this.rowsInWindow(component);
      const window = `${rows} sampled rows in the last ${Math.round(this.o.dataWindowMs / 1000)} s`;
      const reason = found.lastMs
        ? `no adapter of ${component} serves on ${this.o.baseModel} ${base || '(as shipped)'} since its latest attempt at ${isoSeconds(found.lastMs)}: trying again on newer data (${window})`
        : `${component} has ${window} and no adapter of ${this.o.baseModel}: its first adapter`;
      try {
        const job = await this.o.enqueue({ model: this.o.baseModel, component, trigger: BASELINE_TRIGGER, reason });
        // (the job in the history says when it is due next)
        s.dueMs = undefined;
        this.o.logger.info({ model: this.o.baseModel, component, job: job.id, reason }, 'adapter queued for a component without one');
        return job;
      } catch (err) {
        s.dueMs = now + Math.min(this.failureBackoffMs, 3_600_000);
        this.o.logger.warn({ model: this.o.baseModel, component, err: errorMessage(err) }, 'adapter job not queued');
      }
    }
    return undefined;
  }


  /**
   * Whether `component` has a champion adapter trained on base version `base`, when its next
   * job is due (0: now; Infinity: never), and its latest attempt (ms; 0: none).
   */
  private async state(component: string, jobs: readonly TrainingJob[], base: string): Promise<{ served: boolean; dueMs: number; lastMs: number }> {
    const versions = await this.o.registry.list(adapterModelName(this.o.baseModel, component));
    const champion = versions.find((v) => v.aliases.includes('champion'));
    const trainedOn = champion?.lineage.config?.['baseVersion'];
    const served = champion !== undefined && (typeof trainedOn === 'string' ? trainedOn : '') === base;
    const lost = this.o.retryMs > 0 ? this.o.retryMs : Infinity;
    let dueMs = 0;
    let lastMs = 0;
    for (const v of versions) {
      dueMs = Math.max(dueMs, v.createdMs + lost);
      lastMs = Math.max(lastMs, v.createdMs);
    }
    for (const j of jobs) {
      if (j.component !== component) continue;
      if (j.state === 'succeeded') dueMs = Math.max(dueMs, j.createdMs + lost);
      // a job a restart interrupted is no attempt
      else if (isFailedAttempt(j)) dueMs = Math.max(dueMs, j.createdMs + this.failureBackoffMs);
      else continue;
      lastMs = Math.max(lastMs, j.createdMs);
    }
    return { served, dueMs, lastMs };
  }
}

/** How long after a failed adapter job of a component its next one waits: a day, at most `retryMs` when that is set. */
export function adapterFailureBackoffMs(retryMs: number): number {
  return retryMs > 0 ? Math.min(DAY_MS, retryMs) : DAY_MS;
}

/** A failed job that counts as an attempt (a job a restart interrupted does not). */
function isFailedAttempt(j: TrainingJob): boolean {
  return j.state === 'failed' && !j.error.startsWith('interrupted:');
}

/**
 * Whether the job history must keep `j` at `now`, beyond its bound (TRAINER_JOB_HISTORY): a
 * failed adapter job of a component of `baseModel` whose backoff (`backoffMs`) has not passed.
 * It is the only record of that attempt (a failed job registers no version), so without it a
 * restart after many other jobs would try the component again at once.
 */
export function holdsAdapterBackoff(j: TrainingJob, baseModel: string, backoffMs: number, now: number): boolean {
  return j.model === baseModel && j.component !== '' && isFailedAttempt(j) && now - j.createdMs < backoffMs;
}

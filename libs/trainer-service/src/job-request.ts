import { subjectToken, TrainingJob } from '@x0/contracts';
import { InvalidArgumentError, newId } from '@x0/core';
import type { RetrainTrigger } from '@x0/model-monitor';
import { delayNote, isoSeconds, withoutDelayNote } from './job-reason';
import type { TrainableModel } from './trainable';

/** What asked for a job. */
export type JobTrigger = 'manual' | 'degradation' | 'drift' | 'outcomes' | 'schedule' | 'rebase' | 'baseline';

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
  /** Train on data published from this time only (within the data window): a drifting component's adapter learns the new regime. */
  dataSinceMs?: number;
}

/**
 * The job a retraining trigger of the performance monitor asks for: its reason is the
 * trigger's alert messages (after `<component>: ` for drift; then `; <note>` when given), its
 * parent the first alert; with `settleMs` > 0 it starts that long after `nowMs`, and the reason
 * says until when (and why: `settleWhy`, default `drift settle time`).
 */
export function retrainRequest(o: { model: string; trigger: JobTrigger; retrain: RetrainTrigger; component?: string; settleMs: number; nowMs: number; note?: string; settleWhy?: string }): JobRequest {
  const why = o.retrain.reasons.map((a) => a.message).join('; ');
  const notBeforeMs = o.settleMs > 0 ? o.nowMs + o.settleMs : undefined;
  // The reason says why a queued job does not start yet, and until when (x0 jobs shows it whole).
  const waits = notBeforeMs ? delayNote(notBeforeMs, `${o.settleWhy ?? 'drift settle time'}, ${Math.round(o.settleMs / 1000)} s`) : '';
  return { model: o.model, trigger: o.trigger, reason: `${o.component ? `${o.component}: ` : ''}${why}${o.note ? `; ${o.note}` : ''}${waits}`, parentEventId: o.retrain.reasons[0]?.id, notBeforeMs };
}

/**
 * Checks a request before anything is stored; returns its component ('' for none). Throws
 * InvalidArgumentError for a model not in `trainables`, a component on a shared model or a
 * component that is no subject token.
 */
export function checkJobRequest(trainables: ReadonlyMap<string, TrainableModel>, req: Pick<JobRequest, 'model' | 'component'>): string {
  const t = trainables.get(req.model);
  if (!t) throw new InvalidArgumentError('model', `is not trainable here (known: ${[...trainables.keys()].join(', ')}), got ${JSON.stringify(req.model)}`);
  const component = req.component ?? '';
  if (!component) return '';
  if (!t.perComponent) throw new InvalidArgumentError('component', `model ${req.model} is shared: it has no per-component adapters`);
  // The job's events go to x0.events.training.<component>.
  return subjectToken(component, 'component');
}

/** The queued job of a checked request (`component` from {@link checkJobRequest}); a `notBeforeMs` already past is dropped. */
export function newQueuedJob(req: JobRequest, component: string, now: number): TrainingJob {
  return TrainingJob.fromPartial({
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
    dataSinceMs: req.dataSinceMs ?? 0,
  });
}

/**
 * Turns a queued automatic job into the manual one `req` asks for, in place: due now, the
 * operator's reason and actor first and, after them, what it was (`took over the queued
 * drift job …`). Returns its previous trigger and reason.
 */
export function takeOverJob(job: TrainingJob, req: JobRequest, now: number): { trigger: string; reason: string } {
  const was = job.notBeforeMs > now ? `delayed ${job.trigger} job (it would have started at ${isoSeconds(job.notBeforeMs)})` : `${job.trigger} job`;
  const previous = { trigger: job.trigger, reason: job.reason };
  const reason = req.reason || `requested by ${req.actor || 'an operator'}`;
  // It starts now: what it was said about waiting no longer holds.
  // (and on the whole data window, as any manual job)
  Object.assign(job, { trigger: 'manual', actor: req.actor ?? '', notBeforeMs: 0, dataSinceMs: 0, reason: `${reason}; took over the queued ${was}: ${withoutDelayNote(job.reason)}` });
  return previous;
}

import { type Bus, publishMessage } from '@x0/bus';
import { EVENT_CODECS, eventSubject, TrainingJob } from '@x0/contracts';
import { deriveId } from '@x0/core';

/**
 * Publishes a job as it is now as a TrainingEvent on `x0.events.training.<component or model>`.
 * The event id is derived from the job's id, state, stage, progress (whole percent) and
 * trigger, so the same step published twice carries the same id.
 */
export async function publishJobEvent(bus: Bus, job: TrainingJob, timeMs: number): Promise<void> {
  const component = job.component || job.model;
  // The trigger too: a job taken over by a manual request is queued again, as another event.
  const id = deriveId('trn', job.id, job.state, job.stage, Math.round(job.progress * 100), job.trigger);
  const data = EVENT_CODECS.training.encode({
    meta: { id, parentId: job.parentEventId, component, timeMs, source: 'trainer' },
    job: TrainingJob.fromPartial(job),
  });
  await publishMessage(bus.js, { subject: eventSubject('training', component), data, id });
}

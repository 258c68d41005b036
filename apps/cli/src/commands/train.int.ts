/**
 * `x0 train --wait` as an operator runs it (a child process on the TypeScript sources), against a
 * real nats-server holding the job's TrainingEvents and a gRPC trainer that answers Train as
 * the trainer does when a manual request takes over a queued drift job (libs/trainer-service/src/job-runner.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { EVENT_CODECS, TrainingEvent, TrainingJob, eventSubject } from '@x0/contracts';
import { runX0, startStandInTrainer, type StandInTrainer } from './cli-testing';

jest.setTimeout(60_000);

let t: StandInTrainer;
const NOW = Date.now();
// A drift job queued a minute ago to start in 10 minutes, taken over by the request: due at once.
const drift = TrainingJob.fromPartial({ id: 'job_drift1', model: 'detector', state: 'queued', trigger: 'drift', stage: 'replay', createdMs: NOW - 60_000, notBeforeMs: NOW + 600_000, reason: 'drift' });
const takenOver = TrainingJob.fromPartial({ ...drift, trigger: 'manual', actor: 'tester', notBeforeMs: 0, reason: 'now; took over the queued delayed drift job' });

const x0 = (args: string[]) => runX0(args, { natsUrl: t.nats.url, grpcAddress: t.address });

beforeAll(async () => {
  t = await startStandInTrainer({ train: (_c: unknown, cb: grpc.sendUnaryData<TrainingJob>) => cb(null, takenOver) });
});

afterAll(() => t?.stop());

describe('x0 train --wait', () => {
  it('after taking over a delayed drift job, never says the drift job\'s old start time: the job starts at once', async () => {
    const js = jetstream(t.nc);
    const publish = (job: TrainingJob, timeMs: number) =>
      js.publish(eventSubject('training', 'detector'), EVENT_CODECS.training.encode(TrainingEvent.fromPartial({ meta: { id: `trn_${timeMs}`, component: 'detector', timeMs, source: 'trainer' }, job })));
    // What the stream holds from the job's creation on: the drift job's queued event, the takeover's, then the run.
    await publish(drift, NOW - 60_000);
    await publish(takenOver, NOW);
    await publish({ ...takenOver, state: 'running', stage: 'train', progress: 0.3, startedMs: NOW }, NOW + 1);
    await publish({ ...takenOver, state: 'succeeded', stage: 'done', progress: 1, version: '2', decision: 'challenger', decisionReason: 'does not beat 1' }, NOW + 2);

    const r = await x0(['train', 'detector', '--reason', 'now', '--wait']);
    expect(r.stdout).toContain('job job_drift1 succeeded: kept detector 2 as challenger');
    // the job is this request's now (its actor and reason): it did not join someone else's
    expect(r.stdout).toMatch(/^job job_drift1 queued \(manual: now; took over the queued delayed drift job\)\n/);
    expect(r.stdout).not.toContain('already queued');
    expect(r.stderr.split('\n').filter(Boolean)).toEqual(['0% queued, waiting to start', '30% running train', '100% succeeded done']);
    expect(r.code).toBe(0);
  });
});

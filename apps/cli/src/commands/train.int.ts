/**
 * `x0 train --wait` as an operator runs it (a child process on the TypeScript sources), against a
 * real nats-server holding the job's TrainingEvents and a gRPC trainer that answers Train as
 * the trainer does when a manual request takes over a queued drift job (libs/trainer-service/src/job-runner.ts).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { EVENT_CODECS, STREAMS, Statistics, TrainerServiceService, TrainingEvent, TrainingJob, eventSubject } from '@x0/contracts';
import { SERVICE_NAMES } from '@x0/service-kit';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'apps/cli/src/main.ts');

let nats: NatsServerProcess;
let nc: NatsConnection;
let server: grpc.Server;
let trainer: string;
const NOW = Date.now();
// A drift job queued a minute ago to start in 10 minutes, taken over by the request: due at once.
const drift = TrainingJob.fromPartial({ id: 'job_drift1', model: 'detector', state: 'queued', trigger: 'drift', stage: 'replay', createdMs: NOW - 60_000, notBeforeMs: NOW + 600_000, reason: 'drift' });
const takenOver = TrainingJob.fromPartial({ ...drift, trigger: 'manual', actor: 'tester', notBeforeMs: 0, reason: 'now; took over the queued delayed drift job' });

function x0(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], NATS_URL: nats.url, USER: 'tester' };
  for (const s of SERVICE_NAMES) env[`X0_${s.toUpperCase()}_GRPC`] = trainer;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env, timeout: 45_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.add({ name: STREAMS.events.name, subjects: [...STREAMS.events.subjects] });
  server = new grpc.Server();
  server.addService(TrainerServiceService, {
    getStatistics: (_c: unknown, cb: grpc.sendUnaryData<Statistics>) => cb(null, Statistics.fromPartial({ service: 'trainer' })),
    train: (_c: unknown, cb: grpc.sendUnaryData<TrainingJob>) => cb(null, takenOver),
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  trainer = `127.0.0.1:${port}`;
});

afterAll(async () => {
  server?.forceShutdown();
  await nc?.drain();
  await nats?.stop();
});

describe('x0 train --wait', () => {
  it('after taking over a delayed drift job, never says the drift job\'s old start time: the job starts at once', async () => {
    const js = jetstream(nc);
    const publish = (job: TrainingJob, timeMs: number) =>
      js.publish(eventSubject('training', 'detector'), EVENT_CODECS.training.encode(TrainingEvent.fromPartial({ meta: { id: `trn_${timeMs}`, component: 'detector', timeMs, source: 'trainer' }, job })));
    // What the stream holds from the job's creation on: the drift job's queued event, the takeover's, then the run.
    await publish(drift, NOW - 60_000);
    await publish(takenOver, NOW);
    await publish({ ...takenOver, state: 'running', stage: 'train', progress: 0.3, startedMs: NOW }, NOW + 1);
    await publish({ ...takenOver, state: 'succeeded', stage: 'done', progress: 1, version: '2', decision: 'challenger', decisionReason: 'does not beat 1' }, NOW + 2);

    const r = await x0(['train', 'detector', '--reason', 'now', '--wait']);
    expect(r.stdout).toContain('job job_drift1 succeeded: kept 2 as challenger');
    expect(r.stderr.split('\n').filter(Boolean)).toEqual(['0% queued, waiting to start', '30% running train', '100% succeeded done']);
    expect(r.code).toBe(0);
  });
});

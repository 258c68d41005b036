import { TrainingJob } from '@x0/contracts';
import { status } from '@grpc/grpc-js';
import { rpcErrorMessage } from '@x0/client';
import { exitCodeOf } from './failure';
import { outcomeLine, queuedLine, stageOf, stateCell, trainFailure } from './train';

const NOW = Date.parse('2026-11-27T07:00:00Z');

describe('x0 train / x0 jobs formatting', () => {
  it('queued line - a new job and a taken-over automatic job print as they are; a queued job of someone else says this request joined it', () => {
    const job = (actor: string, reason: string) => TrainingJob.fromPartial({ id: 'job_1', state: 'queued', trigger: 'manual', actor, reason, createdMs: NOW });
    expect(queuedLine(job('me', 'new data'), 'me', 'new data')).toBe('job job_1 queued (manual: new data)');
    expect(queuedLine(job('me', ''), 'me', '')).toBe('job job_1 queued (manual)');
    // no --reason: the trainer records 'requested by <actor>' — still this request's new job
    expect(queuedLine(job('me', 'requested by me'), 'me', '')).toBe('job job_1 queued (manual: requested by me)');
    expect(queuedLine(job('alice', 'requested by alice'), 'me', '')).toContain('already queued by alice');
    expect(queuedLine(job('me', 'new data; took over the queued drift job: input drift'), 'me', 'new data')).toBe('job job_1 queued (manual: new data; took over the queued drift job: input drift)');
    expect(queuedLine(job('me', 'requested by me; took over the queued drift job: x'), 'me', '')).toBe('job job_1 queued (manual: requested by me; took over the queued drift job: x)');
    expect(queuedLine(job('alice', 'checking'), 'me', 'new data')).toBe(
      'job job_1 queued (manual: checking)\n  already queued by alice at 2026-11-27 07:00:00 UTC: this request joined it (its reason is not recorded)',
    );
    // same actor, another reason: an earlier request of theirs
    expect(queuedLine(job('me', 'first'), 'me', 'second')).toContain('already queued by me at 2026-11-27 07:00:00 UTC: this request joined it');
  });

  it('outcome - names the registry model of the version (the adapter model for a component job), as x0 models takes it', () => {
    const done = (component: string, decision: string) => TrainingJob.fromPartial({ id: 'job_1', model: 'detector', component, state: 'succeeded', version: '2', decision, decisionReason: 'why' });
    expect(outcomeLine(done('', 'promoted'))).toBe('job job_1 succeeded: promoted detector 2 to champion\n  why');
    expect(outcomeLine(done('', 'challenger'))).toBe('job job_1 succeeded: kept detector 2 as challenger\n  why');
    expect(outcomeLine(done('demo-db', 'promoted'))).toBe('job job_1 succeeded: promoted detector--demo-db 2 to champion\n  why');
    expect(outcomeLine(done('demo-db', 'challenger'))).toBe('job job_1 succeeded: kept detector--demo-db 2 as challenger\n  why');
    expect(outcomeLine(done('odd:comp', 'challenger'))).toMatch(/^job job_1 succeeded: kept detector--h[0-9a-f]{16} \(detector's adapter of odd:comp\) 2 as challenger\n {2}why$/);
  });

  it('state - a delayed queued job says until when; a due one, a running one and a finished one say what they are', () => {
    const delayed = TrainingJob.fromPartial({ state: 'queued', stage: 'replay', notBeforeMs: NOW + 300_000 });
    expect(stateCell(delayed, NOW)).toBe('queued until 2026-11-27 07:05:00 UTC');
    expect(stageOf(delayed, NOW)).toBe('queued, starts at 2026-11-27 07:05:00 UTC');
    const due = TrainingJob.fromPartial({ state: 'queued', stage: 'replay', notBeforeMs: NOW - 1 });
    expect(stateCell(due, NOW)).toBe('queued');
    expect(stageOf(due, NOW)).toBe('queued, waiting to start');
    expect(stateCell(TrainingJob.fromPartial({ state: 'running', stage: 'shadow' }), NOW)).toBe('running shadow');
    expect(stageOf(TrainingJob.fromPartial({ state: 'running', stage: 'shadow' }), NOW)).toBe('running shadow');
    expect(stateCell(TrainingJob.fromPartial({ state: 'succeeded', stage: 'done' }), NOW)).toBe('succeeded');
  });

  it('not trainable - an adapter name (<model>--<component>) gets the --component hint, with the same exit code (2); other names and errors as they are', () => {
    const rejected = (name: string) =>
      Object.assign(new Error('3 INVALID_ARGUMENT'), { code: status.INVALID_ARGUMENT, details: `'model' is not trainable here (known: detector, action-params), got "${name}"` });
    const err = trainFailure(rejected('action-params--demo-db'), 'action-params--demo-db', undefined);
    expect(rpcErrorMessage(err)).toBe(
      `'model' is not trainable here (known: detector, action-params), got "action-params--demo-db"; 'action-params--demo-db' is the registry name of a component's adapter: train it with x0 train action-params --component demo-db`,
    );
    expect(exitCodeOf(err)).toBe(2);
    expect(rpcErrorMessage(trainFailure(rejected('action-params--h0123456789abcdef'), 'action-params--h0123456789abcdef', undefined))).toMatch(/x0 train action-params --component <component>$/);
    const plain = rejected('nosuch');
    expect(trainFailure(plain, 'nosuch', undefined)).toBe(plain);
    const withComponent = rejected('action-params--demo-db');
    expect(trainFailure(withComponent, 'action-params--demo-db', 'demo-db')).toBe(withComponent);
  });
});

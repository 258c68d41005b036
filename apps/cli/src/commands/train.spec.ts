import { TrainingJob } from '@x0/contracts';
import { status } from '@grpc/grpc-js';
import { rpcErrorMessage } from '@x0/client';
import { exitCodeOf } from './failure';
import { stageOf, stateCell, trainFailure } from './train';

const NOW = Date.parse('2026-11-27T07:00:00Z');

describe('x0 train / x0 jobs formatting', () => {
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

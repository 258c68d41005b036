import { TrainingJob } from '@x0/contracts';
import { stageOf, stateCell } from './train';

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
});

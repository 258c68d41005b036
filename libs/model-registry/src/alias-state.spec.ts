import { FailedPreconditionError } from '@x0/core';
import { HISTORY_LIMIT, lastChange, moveAlias, rollbackAlias } from './alias-state';
import type { AliasState } from './types';

const move = (cur: AliasState | undefined, version: string, timeMs = 1) => moveAlias(cur, { model: 'm', alias: 'champion', version, timeMs, reason: '', actor: '' });

describe('alias state', () => {
  it('stack - rollbacks walk back through earlier holders, most recent first', () => {
    let s = move(move(move(undefined, 'v1'), 'v2'), 'v3');
    expect(s.previous).toEqual(['v1', 'v2']);
    s = rollbackAlias(s, 2, 'bad');
    expect([s.version, s.previous]).toEqual(['v2', ['v1']]);
    s = rollbackAlias(s, 3, '');
    expect([s.version, s.previous]).toEqual(['v1', []]);
    expect(() => rollbackAlias(s, 4, '')).toThrow(FailedPreconditionError);
    expect(lastChange(s)).toMatchObject({ type: 'rollback', version: 'v1', previousVersion: 'v2', timeMs: 3 });
  });

  it('no-op - moving to the current holder returns the same state object', () => {
    const s = move(undefined, 'v1');
    expect(move(s, 'v1')).toBe(s);
  });

  it('limit - history and earlier holders keep only the most recent entries', () => {
    let s: AliasState | undefined;
    for (let i = 0; i < HISTORY_LIMIT + 20; i++) s = move(s, `v${i}`, i);
    expect(s!.history).toHaveLength(HISTORY_LIMIT);
    expect(s!.history[0].version).toBe('v20');
    expect(s!.previous).toHaveLength(HISTORY_LIMIT);
    expect(s!.previous[s!.previous.length - 1]).toBe(`v${HISTORY_LIMIT + 18}`);
  });
});

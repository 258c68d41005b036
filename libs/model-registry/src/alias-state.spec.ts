import { FailedPreconditionError } from '@x0/core';
import { HISTORY_LIMIT, lastChange, moveAlias, rollbackAlias, whoAndWhy } from './alias-state';
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

  it('actor - kept as given (a space or colon in it included); a reason is never split when the entry has an actor, even ""', () => {
    const s = rollbackAlias(move(move(undefined, 'v1'), 'v2'), 2, 'accuracy low', 'Alice Smith: ops');
    expect(lastChange(s)).toMatchObject({ actor: 'Alice Smith: ops', reason: 'accuracy low' });
    expect(whoAndWhy({ reason: 'by design', actor: '' })).toEqual({ actor: '', reason: 'by design' });
    expect(whoAndWhy({ reason: 'by request: urgent', actor: '' })).toEqual({ actor: '', reason: 'by request: urgent' });
  });

  it('legacy - an entry written before the actor was kept reads "by <actor>: <why>" split, any other reason whole', () => {
    expect(whoAndWhy({ reason: 'by alice: accuracy low on 3' })).toEqual({ actor: 'alice', reason: 'accuracy low on 3' });
    expect(whoAndWhy({ reason: 'by design' })).toEqual({ actor: '', reason: 'by design' });
    expect(whoAndWhy({ reason: 'by design:' })).toEqual({ actor: '', reason: 'by design:' });
    expect(whoAndWhy({ reason: 'shadow evaluation: beats 1' })).toEqual({ actor: '', reason: 'shadow evaluation: beats 1' });
    const old = { model: 'm', alias: 'champion', version: 'v2', previous: ['v1'], revision: 3, history: [{ type: 'promote' as const, version: 'v2', previousVersion: 'v1', timeMs: 5, reason: 'by bob: looks better' }] };
    expect(lastChange(old)).toMatchObject({ actor: 'bob', reason: 'looks better', version: 'v2' });
  });
});

import { aliasHistoryRows } from './alias-history';
import { moveAlias } from './alias-state';
import type { AliasState } from './types';

const moves = (alias: string, times: number[]): AliasState => {
  let s: AliasState | undefined;
  times.forEach((timeMs, i) => (s = moveAlias(s, { model: 'm', alias, version: `${alias}-${i}`, timeMs, reason: '', actor: '' })));
  return s!;
};

describe('aliasHistoryRows', () => {
  it('order - newest first; equal times by alias name, within one alias newest first, whatever order the states come in', () => {
    const states = [moves('champion', [1, 5, 5]), moves('canary', [5, 7])];
    const expected = ['canary-1', 'canary-0', 'champion-2', 'champion-1', 'champion-0'];
    expect(aliasHistoryRows(states).map((r) => r.version)).toEqual(expected);
    expect(aliasHistoryRows([...states].reverse()).map((r) => r.version)).toEqual(expected);
  });

  it('limit - all moves by default; the caller picks how many', () => {
    const s = moves('champion', Array.from({ length: 30 }, (_, i) => i));
    expect(aliasHistoryRows([s])).toHaveLength(30);
    expect(aliasHistoryRows([s], 3).map((r) => r.version)).toEqual(['champion-29', 'champion-28', 'champion-27']);
  });
});

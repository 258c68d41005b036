import { UsageError } from './failure';
import { runbookName } from './knowledge';

describe('x0 kb rm', () => {
  it('runbook name - a path is taken to its file name, as kb add names the runbook', () => {
    expect(runbookName('disk-full.md')).toBe('disk-full.md');
    expect(runbookName('deploy/runbooks/disk-full.md')).toBe('disk-full.md');
  });

  it('runbook name - an empty name is a usage error, named as the operator knows it', () => {
    for (const arg of ['', ' ', '/']) {
      expect(() => runbookName(arg)).toThrow(UsageError);
      expect(() => runbookName(arg)).toThrow('runbook name must not be empty');
    }
  });
});

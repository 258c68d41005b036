import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describeExit, tail } from './stack';

const ended = (exitCode: number | null, signalCode: NodeJS.Signals | null) => ({ child: { exitCode, signalCode } as ChildProcess });

describe('dev stack', () => {
  it('tail - from the offset of this run only: earlier runs appended to the same log are left out', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-stack-'));
    try {
      const file = path.join(dir, 'plan.log');
      fs.writeFileSync(file, 'old run 1\nold run 2\n');
      const offset = fs.statSync(file).size;
      fs.appendFileSync(file, 'this run: bad config\nexit 78\n');
      expect(tail(file, 15, offset)).toBe('this run: bad config\nexit 78');
      expect(tail(file, 15)).toBe('old run 1\nold run 2\nthis run: bad config\nexit 78');
      expect(tail(file, 15, fs.statSync(file).size)).toBe('');
      expect(tail(path.join(dir, 'missing.log'), 15)).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describeExit - says how each service ended in words, not monitor=null', () => {
    expect(describeExit('monitor', ended(0, null))).toBe('monitor stopped');
    expect(describeExit('plan', ended(78, null))).toBe('plan exited (78)');
    expect(describeExit('analyze', ended(null, 'SIGTERM'))).toBe('analyze stopped by SIGTERM');
    expect(describeExit('trainer', undefined)).toBe('trainer not started');
    expect(describeExit('knowledge', ended(null, null))).toBe('knowledge still running');
  });
});

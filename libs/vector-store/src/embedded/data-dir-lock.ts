import fs from 'node:fs';
import path from 'node:path';
import { FailedPreconditionError } from '@x0/core';

/**
 * A LOCK file holding the owner's pid, so two processes never write one data directory.
 * A lock left by a dead process (or by this process, e.g. a store reopened after a simulated
 * crash) is taken over.
 */
export class DataDirLock {
  private held = false;
  private readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, 'LOCK');
  }

  /** Takes the lock; throws `FailedPreconditionError` when a live process holds it. */
  acquire(): void {
    try {
      fs.writeFileSync(this.file, String(process.pid), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(this.file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new FailedPreconditionError(`${path.dirname(this.file)} is in use by process ${pid}`);
      }
      fs.writeFileSync(this.file, String(process.pid));
    }
    this.held = true;
  }

  /** Releases the lock if held. */
  release(): void {
    if (this.held) fs.rmSync(this.file, { force: true });
    this.held = false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

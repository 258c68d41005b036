import type { TrainingJob } from '@x0/contracts';

/** What {@link JobQueue.nextDue} gives: a due job, or how long to wait for one (undefined: until woken). */
export type NextJob = { job: TrainingJob } | { waitMs: number | undefined };

/**
 * The queued jobs, in the order they were queued, for a loop that runs them one at a time:
 * the oldest queued job that is due goes first; a job with `notBeforeMs` in the future waits
 * without holding up the others. The loop waits with {@link wait} until the earliest delayed
 * job is due or {@link wakeUp} is called.
 */
export class JobQueue {
  private readonly ids: string[] = [];
  private wake?: () => void;

  /** `lookup` gives a job's current record by id (undefined: gone). */
  constructor(
    private readonly lookup: (id: string) => TrainingJob | undefined,
    private readonly clock: () => number,
  ) {}

  /** Jobs in the queue. */
  get length(): number {
    return this.ids.length;
  }

  /** Adds a job at the end; {@link wakeUp} has a waiting loop see it. */
  push(id: string): void {
    this.ids.push(id);
  }

  /** Ends the current {@link wait}, if any. */
  wakeUp(): void {
    this.wake?.();
  }

  /** The oldest queued job that is due (taken off the queue), or how long to wait for one (undefined: until woken). */
  nextDue(): NextJob {
    const now = this.clock();
    let waitMs: number | undefined;
    for (let i = 0; i < this.ids.length; ) {
      const job = this.lookup(this.ids[i]);
      if (!job || job.state !== 'queued') {
        this.ids.splice(i, 1);
        continue;
      }
      const wait = job.notBeforeMs - now;
      if (wait <= 0) {
        this.ids.splice(i, 1);
        return { job };
      }
      // setTimeout fires at once past 2^31-1 ms.
      waitMs = Math.min(waitMs ?? wait, wait, 2 ** 31 - 1);
      i++;
    }
    return { waitMs };
  }

  /** Waits `waitMs` (undefined: until woken), or until {@link wakeUp} is called. */
  async wait(waitMs: number | undefined): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = waitMs === undefined ? undefined : setTimeout(resolve, waitMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}

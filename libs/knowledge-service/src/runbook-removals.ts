import type { KV } from '@nats-io/kv';
import { type Bus, fromKvKey, kvEntries, openKeyValue, toKvKey } from '@x0/bus';

/** Bucket holding one record per removed runbook (key: its source). */
export const RUNBOOK_REMOVALS_BUCKET = 'x0_runbook_removals';

/** What is kept of a removal. */
export interface RunbookRemoval {
  source: string;
  removedMs: number;
  /** Passages the runbook had. */
  chunks: number;
}

/**
 * Runbooks an operator removed, in NATS KV: the folder load at start (KNOWLEDGE_RUNBOOKS_DIR)
 * leaves them out, so a removed shipped runbook stays removed across restarts. Ingesting the
 * source again over gRPC forgets its removal.
 */
export class RunbookRemovals {
  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<RunbookRemovals> {
    return new RunbookRemovals(await openKeyValue(bus, RUNBOOK_REMOVALS_BUCKET, { description: 'x0 knowledge: removed runbooks by source' }));
  }

  /** Records that `source` was removed. */
  async record(removal: RunbookRemoval): Promise<void> {
    await this.kv.put(toKvKey(removal.source), JSON.stringify(removal));
  }

  /** Forgets the removal of `source` (it was ingested again); nothing happens when there is none. */
  async forget(source: string): Promise<void> {
    const key = toKvKey(source);
    if ((await this.kv.get(key))?.operation === 'PUT') await this.kv.purge(key);
  }

  /** Sources of every removed runbook (forgotten ones are not listed). */
  async sources(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const { key } of await kvEntries(this.kv)) out.add(fromKvKey(key));
    return out;
  }
}

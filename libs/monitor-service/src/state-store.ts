import type { KV } from '@nats-io/kv';
import { errorMessage } from '@x0/core';
import { type Bus, fromKvKey, kvEntries, openKeyValue, toKvKey } from '@x0/bus';
import type { Logger } from '@x0/service-kit';

/** Bucket holding one detector snapshot per component. */
export const MONITOR_STATE_BUCKET = 'x0_monitor_state';

/** What the store needs from a detector. */
export interface SnapshotSource {
  snapshot(component: string): Uint8Array;
  restore(component: string, state: Uint8Array): void;
}

/**
 * Persists per-component detector state in NATS KV, so a restarted monitor resumes where it
 * was instead of relearning every baseline.
 */
export class DetectorStateStore {
  private kv?: KV;
  private readonly dirty = new Set<string>();

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  async open(): Promise<void> {
    this.kv ??= await openKeyValue(this.bus, MONITOR_STATE_BUCKET, { description: 'x0 monitor: detector state per component' });
  }

  /**
   * Restores every stored component; incompatible states are skipped (that component relearns).
   * `restoredState` sees each state restored.
   */
  async restoreAll(target: SnapshotSource, restoredState?: (component: string, state: Uint8Array) => void): Promise<{ restored: number; skipped: number }> {
    await this.open();
    let restored = 0;
    let skipped = 0;
    for (const entry of await kvEntries(this.kv!)) {
      if (entry.value.length === 0) continue;
      const component = fromKvKey(entry.key);
      try {
        target.restore(component, entry.value);
        restoredState?.(component, entry.value);
        restored++;
      } catch (err) {
        skipped++;
        this.logger.warn({ component, err: errorMessage(err) }, 'stored detector state not usable; the component relearns its baseline');
      }
    }
    return { restored, skipped };
  }

  markDirty(component: string): void {
    this.dirty.add(component);
  }

  /**
   * Writes the state of every component scored since the last flush; `written` sees each
   * snapshot written. A component for which `hold` answers true (decided when the snapshots are
   * taken) is not written and stays dirty for the next flush: e.g. one whose open incident's
   * record (with the state from before the incident) is not stored yet.
   */
  async flush(source: SnapshotSource, written?: (component: string, state: Uint8Array) => void, hold?: (component: string) => boolean): Promise<number> {
    if (this.dirty.size === 0) return 0;
    await this.open();
    const components = [...this.dirty].filter((c) => !hold?.(c));
    for (const c of components) this.dirty.delete(c);
    let count = 0;
    await Promise.all(
      components.map(async (c) => {
        try {
          const state = source.snapshot(c);
          await this.kv!.put(toKvKey(c), state);
          written?.(c, state);
          count++;
        } catch (err) {
          this.dirty.add(c);
          this.logger.warn({ component: c, err: errorMessage(err) }, 'cannot snapshot detector state; will retry');
        }
      }),
    );
    return count;
  }
}

import { PolicyStats } from '@x0/contracts';
import { watchBucket, type BucketWatch } from '@x0/component-actions';
import type { StatsSnapshot, Tally } from '@x0/decision';
import { parseTallyKey, type PolicyStatsStore } from '@x0/policy-stats';

/** A protobuf tally as the decision engine's Tally. */
export function tallyFromProto(s: PolicyStats): Tally {
  return {
    action: s.action,
    successes: s.successes,
    failures: s.failures,
    lastSuccessMs: Math.max(0, s.lastSuccessMs),
    lastFailureMs: Math.max(0, s.lastFailureMs),
  };
}

/** Options of StatsFeed. */
export interface StatsFeedOptions {
  store: PolicyStatsStore;
  /** Receives the whole snapshot after every (debounced) change. */
  apply(snapshot: StatsSnapshot): void;
  /** Quiet time after a change before `apply` (default 200 ms; 0 = at once). */
  debounceMs?: number;
  onError?(err: unknown): void;
}

/**
 * Follows the outcome tallies that the knowledge service writes (`@x0/policy-stats`, the
 * single writer) and hands the decision engine a full StatsSnapshot: at start once the
 * bucket is read, then at most once per debounce interval while tallies change.
 */
export class StatsFeed {
  private readonly policies = new Map<string, Tally>();
  private readonly components = new Map<string, Map<string, Tally>>();
  private watch?: BucketWatch;
  private timer?: NodeJS.Timeout;
  private applied = 0;

  constructor(private readonly o: StatsFeedOptions) {}

  /** Reads every tally, applies them once, and keeps following. */
  async start(): Promise<void> {
    if (this.watch) return;
    this.watch = await watchBucket(this.o.store.kv, (e) => {
      const key = parseTallyKey(e.key);
      if (!key) return;
      if (e.operation !== 'PUT' || e.value.length === 0) this.remove(key);
      else {
        try {
          this.set(key, tallyFromProto(PolicyStats.decode(e.value)));
        } catch (err) {
          this.o.onError?.(err);
          return;
        }
      }
      this.schedule();
    });
    await this.watch.ready;
    this.flush();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.watch?.stop();
  }

  /** Snapshots applied so far. */
  get appliedCount(): number {
    return this.applied;
  }

  /** The tallies as the engine's snapshot. */
  snapshot(): StatsSnapshot {
    const components: StatsSnapshot['components'] = {};
    for (const [c, m] of this.components) components[c] = Object.fromEntries(m);
    return { version: 1, policies: Object.fromEntries(this.policies), components };
  }

  private set(key: { policyId: string; component: string }, t: Tally): void {
    if (key.component === '') this.policies.set(key.policyId, t);
    else {
      let m = this.components.get(key.component);
      if (!m) this.components.set(key.component, (m = new Map()));
      m.set(key.policyId, t);
    }
  }

  private remove(key: { policyId: string; component: string }): void {
    if (key.component === '') this.policies.delete(key.policyId);
    else this.components.get(key.component)?.delete(key.policyId);
  }

  private schedule(): void {
    if (!this.watch || this.timer) return;
    if (!this.o.debounceMs) {
      this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.o.debounceMs);
    this.timer.unref();
  }

  private flush(): void {
    try {
      this.o.apply(this.snapshot());
      this.applied++;
    } catch (err) {
      this.o.onError?.(err);
    }
  }
}

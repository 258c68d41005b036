import type { KV } from '@nats-io/kv';
import { errorMessage, InvalidArgumentError } from '@x0/core';
import { type Bus, kvEntries, openKeyValue } from '@x0/bus';
import { PolicyStats } from '@x0/contracts';
import { parseTallyKey, tallyKey } from './tally-keys';

/** Bucket holding one PolicyStats (protobuf) per policy and per (component, policy). */
export const POLICY_STATS_BUCKET = 'x0_policy_stats';

/** One outcome, as the tallies see it. */
export interface TallyOutcome {
  policyId: string;
  action: string;
  component: string;
  recovered: boolean;
  timeMs: number;
}

/** Adds an outcome to a tally (pure). */
export function addOutcome(prev: PolicyStats | undefined, o: TallyOutcome, component: string): PolicyStats {
  const t = prev ?? PolicyStats.fromPartial({ policyId: o.policyId, component });
  return {
    ...t,
    action: o.action,
    successes: t.successes + (o.recovered ? 1 : 0),
    failures: t.failures + (o.recovered ? 0 : 1),
    lastSuccessMs: o.recovered ? Math.max(t.lastSuccessMs, o.timeMs) : t.lastSuccessMs,
    lastFailureMs: o.recovered ? t.lastFailureMs : Math.max(t.lastFailureMs, o.timeMs),
  };
}

/**
 * Per-policy outcome statistics in NATS KV. Knowledge records every outcome (compare-and-set,
 * so concurrent writers never lose a count); plan reads and watches them.
 */
export class PolicyStatsStore {
  private constructor(readonly kv: KV) {}

  static async open(bus: Bus): Promise<PolicyStatsStore> {
    return new PolicyStatsStore(await openKeyValue(bus, POLICY_STATS_BUCKET, { description: 'x0: outcome tallies per policy and per component' }));
  }

  /** Counts one outcome in the policy's overall tally and in its tally on the component. */
  async record(o: TallyOutcome): Promise<{ overall: PolicyStats; onComponent: PolicyStats }> {
    if (!o.policyId) throw new InvalidArgumentError('policy_id', 'must not be empty');
    const [overall, onComponent] = await Promise.all([this.updateMany(tallyKey(o.policyId), [o], ''), this.updateMany(tallyKey(o.policyId, o.component), [o], o.component)]);
    return { overall, onComponent };
  }

  /**
   * Counts many outcomes with one compare-and-set per tally touched (instead of two per
   * outcome): the outcomes of each tally are added in the order given, the tallies are
   * written concurrently. Outcomes without a policy id are skipped.
   */
  async recordMany(outcomes: readonly TallyOutcome[]): Promise<void> {
    const byKey = new Map<string, { component: string; outcomes: TallyOutcome[] }>();
    const add = (key: string, component: string, o: TallyOutcome) => {
      const entry = byKey.get(key) ?? byKey.set(key, { component, outcomes: [] }).get(key)!;
      entry.outcomes.push(o);
    };
    for (const o of outcomes) {
      if (!o.policyId) continue;
      add(tallyKey(o.policyId), '', o);
      add(tallyKey(o.policyId, o.component), o.component, o);
    }
    await Promise.all([...byKey].map(([key, { component, outcomes: list }]) => this.updateMany(key, list, component)));
  }

  /** Tallies on one component ('' = the overall ones). */
  async list(component = ''): Promise<PolicyStats[]> {
    const prefix = component === '' ? 'policy.>' : `${tallyKey('x', component).replace(/\.[^.]+$/, '')}.>`;
    const out: PolicyStats[] = [];
    for (const e of await kvEntries(this.kv, prefix)) if (e.value.length > 0) out.push(PolicyStats.decode(e.value));
    return out.sort((a, b) => a.policyId.localeCompare(b.policyId));
  }

  /**
   * Calls `onChange` for every current tally, then for every change, until `stop()`.
   * (A KV watch: an ordered consumer on the bucket's stream.)
   */
  async watch(onChange: (stats: PolicyStats, key: { policyId: string; component: string }) => void): Promise<{ stop(): void }> {
    const iter = await this.kv.watch({ key: '>' });
    (async () => {
      for await (const e of iter) {
        const key = parseTallyKey(e.key);
        if (!key || e.operation !== 'PUT' || e.value.length === 0) continue;
        try {
          onChange(PolicyStats.decode(e.value), key);
        } catch {
          // A malformed entry is skipped; the next write of that key repairs it.
        }
      }
    })().catch(() => undefined);
    return { stop: () => iter.stop() };
  }

  private async updateMany(key: string, outcomes: readonly TallyOutcome[], component: string): Promise<PolicyStats> {
    for (let attempt = 0; ; attempt++) {
      const e = await this.kv.get(key);
      const prev = e && e.operation === 'PUT' && e.value.length > 0 ? PolicyStats.decode(e.value) : undefined;
      let next = prev;
      for (const o of outcomes) next = addOutcome(next, o, component);
      if (!next) throw new InvalidArgumentError('outcomes', 'must not be empty');
      const bytes = PolicyStats.encode(next).finish();
      try {
        if (e) await this.kv.update(key, bytes, e.revision);
        else await this.kv.create(key, bytes);
        return next;
      } catch (err) {
        // Someone else wrote between our read and write: read again.
        if (attempt >= 20) throw new Error(`cannot update ${key} after ${attempt + 1} attempts: ${errorMessage(err)}`);
      }
    }
  }
}

import type { KV, KvEntry } from '@nats-io/kv';
import { InvalidArgumentError, NotFoundError, errorMessage } from '@x0/core';
import { type Bus, fromKvKey, kvEntries, openKeyValue, toKvKey } from '@x0/bus';
import { watchBucket, type BucketWatch } from '@x0/component-actions';
import { toPolicyDocument, validatePolicy, validatePolicyFile, type Policy } from '@x0/decision';

/** Bucket holding one policy per key (the policy id), as JSON in policy-file form. */
export const POLICIES_BUCKET = 'x0_policies';

/**
 * Remediation policies in NATS KV: the source of truth once seeded. Every plan replica
 * watches the bucket and swaps its engine's policy set on each change (no restart); the
 * gRPC calls write here.
 */
export class PolicyStore {
  private constructor(readonly kv: KV) {}

  static async open(bus: Bus): Promise<PolicyStore> {
    return new PolicyStore(await openKeyValue(bus, POLICIES_BUCKET, { description: 'x0 plan: remediation policies by id', history: 5 }));
  }

  /** Number of policies stored (0 for an empty bucket). */
  async count(): Promise<number> {
    return (await kvEntries(this.kv)).length;
  }

  /**
   * True when the bucket has never held a policy. A removed policy leaves a delete marker, so
   * a bucket whose policies were all removed is empty but not new, and is not seeded again.
   */
  async isNew(): Promise<boolean> {
    return (await this.kv.status()).values === 0;
  }

  /**
   * Writes `policies` when the bucket is new (see isNew; each with create, so replicas seeding
   * at the same time do not overwrite one another). Returns how many were written.
   */
  async seed(policies: readonly Policy[]): Promise<number> {
    if (!(await this.isNew())) return 0;
    let written = 0;
    for (const p of policies) {
      try {
        await this.kv.create(toKvKey(p.id), encode(p));
        written++;
      } catch {
        // Another replica seeded this one first.
      }
    }
    return written;
  }

  /** Validates and stores a policy (insert or replace); returns the stored, normalised policy. */
  async upsert(policy: Policy): Promise<Policy> {
    const valid = validatePolicy(policy, 'policy');
    await this.kv.put(toKvKey(valid.id), encode(valid));
    return valid;
  }

  /** One policy; throws NotFoundError when there is none with that id. */
  async get(id: string): Promise<Policy> {
    const e = await this.kv.get(toKvKey(id));
    const p = e ? decode(e) : undefined;
    if (!p) throw new NotFoundError('policy', id);
    return p;
  }

  /** Enables or disables a policy (compare-and-set, so a concurrent edit is not lost). */
  async setEnabled(id: string, enabled: boolean): Promise<Policy> {
    if (!id) throw new InvalidArgumentError('id', 'must be non-empty');
    for (let attempt = 0; ; attempt++) {
      const e = await this.kv.get(toKvKey(id));
      const p = e ? decode(e) : undefined;
      if (!e || !p) throw new NotFoundError('policy', id);
      const next = { ...p, enabled };
      try {
        await this.kv.update(toKvKey(id), encode(next), e.revision);
        return next;
      } catch (err) {
        if (attempt >= 10) throw new Error(`cannot update policy ${id}: ${errorMessage(err)}`);
      }
    }
  }

  /**
   * Removes a policy (compare-and-set against a concurrent edit, leaving a delete marker that
   * every replica's watch applies); returns it as it was. Throws NotFoundError when there is
   * none with that id.
   */
  async remove(id: string): Promise<Policy> {
    if (!id) throw new InvalidArgumentError('id', 'must be non-empty');
    for (let attempt = 0; ; attempt++) {
      const e = await this.kv.get(toKvKey(id));
      const p = e ? decode(e) : undefined;
      if (!e || !p) throw new NotFoundError('policy', id);
      try {
        await this.kv.delete(toKvKey(id), { previousSeq: e.revision });
        return p;
      } catch (err) {
        if (attempt >= 10) throw new Error(`cannot remove policy ${id}: ${errorMessage(err)}`);
      }
    }
  }

  /** Every readable policy, sorted by id. */
  async list(): Promise<Policy[]> {
    const out: Policy[] = [];
    for (const e of await kvEntries(this.kv)) {
      const p = decode(e);
      if (p) out.push(p);
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Follows the bucket: calls `onChange` with the whole current policy set once the
   * existing entries are read and again after every change. Unreadable entries are reported
   * to `onInvalid` and left out (the other policies stay in force).
   */
  async watch(onChange: (policies: Policy[]) => void, onInvalid: (key: string, err: unknown) => void): Promise<BucketWatch> {
    const current = new Map<string, Policy>();
    let loaded = false;
    const w = await watchBucket(this.kv, (e) => {
      const id = fromKvKey(e.key);
      if (e.operation !== 'PUT' || e.value.length === 0) current.delete(id);
      else {
        const p = decode(e, (err) => onInvalid(e.key, err));
        if (p) current.set(id, p);
        else current.delete(id);
      }
      if (loaded) onChange(sorted(current));
    });
    await w.ready;
    loaded = true;
    onChange(sorted(current));
    return w;
  }
}

function sorted(m: Map<string, Policy>): Policy[] {
  return [...m.values()].sort((a, b) => a.id.localeCompare(b.id));
}

function encode(p: Policy): string {
  return JSON.stringify(toPolicyDocument(p));
}

function decode(e: KvEntry, onError?: (err: unknown) => void): Policy | undefined {
  if (e.operation !== 'PUT' || e.value.length === 0) return undefined;
  try {
    // Read as stored: an entry an older release accepted (e.g. priority 50.5) keeps applying.
    const [p] = validatePolicyFile({ version: 1, policies: [e.json()] }, { values: false });
    if (p.id !== fromKvKey(e.key)) throw new InvalidArgumentError('id', `is '${p.id}' but the key names '${fromKvKey(e.key)}'`);
    return p;
  } catch (err) {
    onError?.(err);
    return undefined;
  }
}

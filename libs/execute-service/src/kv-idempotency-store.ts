import type { KV } from '@nats-io/kv';
import { provisionKeyValue, toKvKey, type Bus } from '@x0/bus';
import type { IdempotencyRecord, IdempotencyStore } from '@x0/executors';

/** Bucket remembering every idempotency key the execute service acted on, with its result. */
export const EXECUTED_BUCKET = 'x0_executed';

/**
 * An IdempotencyStore in NATS KV: what was executed survives restarts and is shared by
 * replicas, so a redelivered plan never acts twice. `put` resolves once the server stored it.
 */
export class KvIdempotencyStore implements IdempotencyStore {
  private constructor(readonly kv: KV) {}

  /**
   * Opens (creating) the bucket; keys expire after `ttlMs`. An existing bucket created with
   * another TTL is updated to this one (KV leaves an existing bucket's settings as they are).
   */
  static async open(bus: Bus, ttlMs: number): Promise<KvIdempotencyStore> {
    return new KvIdempotencyStore(await provisionKeyValue(bus, EXECUTED_BUCKET, { description: 'x0 execute: idempotency keys acted on', ttl: ttlMs }));
  }

  async get(key: string): Promise<IdempotencyRecord | undefined> {
    const e = await this.kv.get(toKvKey(key));
    if (!e || e.operation !== 'PUT' || e.value.length === 0) return undefined;
    return e.json<IdempotencyRecord>();
  }

  async put(key: string, record: IdempotencyRecord): Promise<void> {
    await this.kv.put(toKvKey(key), JSON.stringify(record));
  }

  /** KV create: fails when the key exists, which is then read. */
  async claim(key: string, record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    try {
      await this.kv.create(toKvKey(key), JSON.stringify(record));
      return undefined;
    } catch (err) {
      const existing = await this.get(key);
      if (existing) return existing;
      throw err;
    }
  }
}

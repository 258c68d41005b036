import { DeliverPolicy } from '@nats-io/jetstream';
import { Bucket, Kvm, type KV, type KvEntry, type KvOptions } from '@nats-io/kv';
import { nanos } from '@nats-io/transport-node';
import { InvalidArgumentError } from '@x0/core';
import type { Bus } from './connection';

/**
 * Opens a JetStream KV bucket, creating it when missing (idempotent; safe from several
 * services at once). Defaults: file storage, history 1.
 */
export async function openKeyValue(bus: Bus, bucket: string, options: Partial<KvOptions> = {}): Promise<KV> {
  return new Kvm(bus.js).create(bucket, { history: 1, ...options });
}

/**
 * Opens a KV bucket like `openKeyValue`, and makes an existing one keep entries as `options`
 * say: its TTL (`ttl`, ms; 0 = entries never expire) and history (`history`, 1 when unset) are
 * updated when they differ. Opening alone leaves an existing bucket's settings as they were
 * created, so a changed TTL setting would otherwise never reach it. For buckets whose TTL or
 * history comes from configuration; every process opening the bucket should pass the same
 * values. `ttl` is required: it is applied to a bucket that already exists, so leaving it out
 * must not silently remove that bucket's TTL.
 */
export async function provisionKeyValue(bus: Bus, bucket: string, options: Partial<KvOptions> & { ttl: number }): Promise<KV> {
  if (!Number.isFinite(options.ttl) || options.ttl < 0) {
    throw new InvalidArgumentError('ttl', `of bucket '${bucket}' must be a non-negative number of ms (0 = no expiry), got ${options.ttl}`);
  }
  const kv = await openKeyValue(bus, bucket, options);
  const { config } = (await kv.status()).streamInfo;
  const maxAge = nanos(options.ttl);
  const history = options.history ?? 1;
  if (config.max_age !== maxAge || config.max_msgs_per_subject !== history) {
    // The server refuses a duplicate window longer than the TTL; a new bucket gets
    // min(2 min, TTL), so a shortened TTL shortens the window too.
    const window = maxAge > 0 && config.duplicate_window > maxAge ? maxAge : config.duplicate_window;
    await bus.jsm.streams.update(config.name, { ...config, max_age: maxAge, max_msgs_per_subject: history, duplicate_window: window });
  }
  return kv;
}

// KV keys allow only [-/_=.a-zA-Z0-9]; component tokens may hold other characters.
const KV_SAFE = /^[-_=a-zA-Z0-9]+$/;

/**
 * KV key for an arbitrary string: the string itself when it only uses key-safe characters,
 * otherwise `b64.` + base64url. Reversible with `fromKvKey`.
 */
export function toKvKey(value: string): string {
  if (KV_SAFE.test(value)) return value;
  return `b64.${Buffer.from(value, 'utf8').toString('base64url')}`;
}

/** Inverse of `toKvKey`. */
export function fromKvKey(key: string): string {
  return key.startsWith('b64.') ? Buffer.from(key.slice(4), 'base64url').toString('utf8') : key;
}

/**
 * True when a KV write failed because the key is not at the expected revision: `update` after
 * someone else wrote, or `create` of a key that exists (JetStream error 10071).
 */
export function isKvRevisionConflict(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: string } | undefined;
  return e?.api_error?.err_code === 10071 || /wrong last sequence|key exists/i.test(e?.message ?? '');
}

/** Entries read at a time by `kvEntries`. */
const READ_AHEAD = 32;

/**
 * The latest entry of every key of `kv` matching `filter` (a key pattern, `>` for all) whose
 * latest operation is a put, sorted by key. Use it instead of `kv.keys()`.
 *
 * nats.js lists keys through an ordered consumer and stops at the message that leaves nothing
 * pending. In a bucket that keeps one revision per key, a key written while the listing runs
 * can remove that message before it is delivered; the listing then waits for the consumer's
 * idle heartbeat, about 30 s (seen in about one listing in four when a key changes meanwhile).
 * Here the stream is asked which subjects it holds (one request; the client pages long lists),
 * and each key is read. A key created after that request is not listed.
 */
export async function kvEntries(kv: KV, filter = '>'): Promise<KvEntry[]> {
  if (!(kv instanceof Bucket)) throw new TypeError('kvEntries: not a bucket opened with @nats-io/kv');
  const info = await kv.jsm.streams.info(kv.stream, { subjects_filter: `${kv.prefix}.${filter}` });
  const keys = Object.keys(info.state.subjects ?? {})
    .map((subject) => kv.decodeKey(subject.substring(kv.prefixLen)))
    .sort();
  const out: KvEntry[] = [];
  for (let i = 0; i < keys.length; i += READ_AHEAD) {
    const entries = await Promise.all(keys.slice(i, i + READ_AHEAD).map((k) => kv.get(k)));
    for (const e of entries) if (e && e.operation === 'PUT') out.push(e);
  }
  return out;
}

/**
 * The readable records of `kv` by key: each live, non-empty entry (`kvEntries`) parsed with
 * `parse`. An entry `parse` throws on is reported to `unreadable` and deleted, so a record
 * written differently (an older release, a bad write) is not refused again at every start.
 */
export async function kvRecords<T>(kv: KV, parse: (entry: KvEntry) => T, unreadable: (key: string, err: unknown) => void): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (const entry of await kvEntries(kv)) {
    if (entry.value.length === 0) continue;
    try {
      out.set(entry.key, parse(entry));
    } catch (err) {
      unreadable(entry.key, err);
      await kv.delete(entry.key).catch(() => undefined);
    }
  }
  return out;
}

/**
 * Every value written to `kv` since `sinceMs` (by the time it was written), in the order it was
 * written, up to the end of the bucket's stream at the time of the call: only that window of
 * the stream is read, not the whole bucket. Deletes and purges are left out; a key written
 * twice in the window appears twice (unless the bucket no longer holds the older value).
 */
export async function kvWritesSince(kv: KV, sinceMs: number): Promise<Array<{ key: string; value: Uint8Array }>> {
  if (!(kv instanceof Bucket)) throw new TypeError('kvWritesSince: not a bucket opened with @nats-io/kv');
  const out: Array<{ key: string; value: Uint8Array }> = [];
  const info = await kv.jsm.streams.info(kv.stream);
  const lastSeq = info.state.last_seq;
  if (info.state.messages === 0) return out;
  const consumer = await kv.js.consumers.get(kv.stream, {
    filter_subjects: `${kv.prefix}.>`,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(sinceMs).toISOString(),
  });
  if ((await consumer.info()).num_pending === 0) return out;
  const messages = await consumer.consume();
  try {
    for await (const m of messages) {
      const op = m.headers?.get('KV-Operation');
      if (m.seq <= lastSeq && m.data.length > 0 && op !== 'DEL' && op !== 'PURGE') out.push({ key: kv.decodeKey(m.subject.substring(kv.prefixLen)), value: m.data });
      if (m.info.pending === 0 || m.seq >= lastSeq) break;
    }
  } finally {
    await messages.close().catch(() => undefined);
  }
  return out;
}

import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import type { Bus } from './connection';

/**
 * Opens a JetStream KV bucket, creating it when missing (idempotent; safe from several
 * services at once). Defaults: file storage, history 1.
 */
export async function openKeyValue(bus: Bus, bucket: string, options: Partial<KvOptions> = {}): Promise<KV> {
  return new Kvm(bus.js).create(bucket, { history: 1, ...options });
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

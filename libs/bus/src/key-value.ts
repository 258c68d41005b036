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

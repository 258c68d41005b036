import { createHash, randomBytes } from 'node:crypto';

/**
 * Deterministic id for an event derived from its inputs, e.g.
 * `deriveId('an', batchId, component)`. The same inputs always give the same id, so a
 * redelivered input republishes under the same `Nats-Msg-Id` and JetStream drops the copy.
 * 96 bits of SHA-256: collisions are negligible at any realistic event volume.
 */
export function deriveId(prefix: string, ...parts: readonly (string | number)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(String(p));
    h.update('\0');
  }
  return `${prefix}_${h.digest('hex').slice(0, 24)}`;
}

/**
 * New unique id: millisecond time (base36, sortable for ~100 years) and 64 random bits.
 * Used where no input exists to derive from (a metric batch, an operator's command).
 */
export function newId(prefix: string, now: number = Date.now()): string {
  return `${prefix}_${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

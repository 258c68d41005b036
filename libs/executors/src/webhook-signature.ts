import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header with the HMAC-SHA256 of the body: `sha256=<hex>`. */
export const SIGNATURE_HEADER = 'X-X0-Signature';
/** Header with the send time, ms since the epoch (also `sentAtMs` in the signed body). */
export const TIMESTAMP_HEADER = 'X-X0-Timestamp';
/** Header with the idempotency key (also `idempotencyKey` in the signed body). */
export const WEBHOOK_IDEMPOTENCY_HEADER = 'X-X0-Idempotency-Key';

/** `sha256=` + hex HMAC-SHA256 of `body` with `secret`. */
export function signWebhookBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * For receivers: true when `signature` (the X-X0-Signature header) is the HMAC of the raw
 * `body` with `secret`. Constant-time. Check the body's `sentAtMs` is recent as well, and
 * drop repeated `idempotencyKey`s, to refuse replays.
 */
export function verifyWebhookSignature(body: string | Buffer, signature: string | undefined, secret: string): boolean {
  if (!signature?.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'), 'utf8');
  const given = Buffer.from(signature.slice('sha256='.length), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

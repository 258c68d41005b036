import type { JsMsg } from '@nats-io/jetstream';
import { deriveId } from '@x0/core';
import { DEAD_LETTER_CODEC, dlqSubject, isSubjectToken } from '@x0/contracts';
import type { OutboundMessage } from './publisher';

/**
 * Why an input was dead-lettered: `rejected` — the input is bad (malformed, invalid, too
 * large, parts of it dropped), the publisher's problem; `failed` — the service failed on it
 * every delivery or crashed on it, the service's (or its model's) problem.
 */
export type DeadLetterKind = 'rejected' | 'failed';

export interface DeadLetterOptions {
  /** The letter's time (default now). */
  now?: number;
  /**
   * Largest message the server accepts (its max_payload: headers plus data). When the letter
   * with the whole original payload would be larger, it carries the payload's first bytes
   * only and its reason says so ("payload truncated from N to M bytes").
   */
  maxBytes?: number;
}

/** A dead letter to publish, with the reason it states (the given one, plus a truncation note if any). */
export interface DeadLetterMessage extends OutboundMessage {
  reason: string;
  /**
   * False when even the letter without payload, with its reason cut to {@link MAX_CUT_REASON_CHARS}
   * characters and without the input's headers, is larger than `maxBytes`: the server will
   * refuse it, so it must not be published (or retried).
   */
  fits: boolean;
}

/** A reason that leaves no room for any payload is cut to this many characters. */
export const MAX_CUT_REASON_CHARS = 4096;

/** The server's max_payload when it does not say (nats-server's default: 1 MiB). */
export const NATS_DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Largest dead letter to publish: the server's max_payload as it announced it, or the NATS
 * default while the client does not know it (nats.js has no server info while it reconnects).
 * Never a consumer's input limit: that says nothing about what the server accepts.
 */
export function deadLetterMaxBytes(serverMaxPayload: number | undefined): number {
  return serverMaxPayload ?? NATS_DEFAULT_MAX_PAYLOAD;
}

/** Room left for what the client library adds to the headers on publish. */
const HEADER_MARGIN = 64;

/**
 * Builds the dead-letter message for an input a service could not process: the original
 * payload and headers, the subject, the stream sequence, the delivery count, the reason and its kind.
 * Its id derives from (service, stream, sequence, reason) so a retried dead-lettering is
 * de-duplicated. With `maxBytes`, a payload that would not fit is truncated; if the letter is still
 * too large without any payload, its reason is cut and the input's headers dropped; if even that
 * does not fit (a tiny max_payload), `fits` is false.
 */
export function deadLetterFor(service: string, msg: JsMsg, why: { reason: string; kind: DeadLetterKind }, options: DeadLetterOptions = {}): DeadLetterMessage {
  const { reason, kind } = why;
  const now = options.now ?? Date.now();
  const headers: Record<string, string> = {};
  if (msg.headers) for (const [k, v] of msg.headers) headers[k] = v.join(',');
  const tokens = msg.subject.split('.');
  const last = tokens[tokens.length - 1];
  const id = deriveId('dlq', service, msg.info.stream, msg.info.streamSequence, reason);
  const original = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
  const build = (payload: Buffer, why: string, withHeaders = true): DeadLetterMessage => ({
    subject: dlqSubject(service),
    data: DEAD_LETTER_CODEC.encode({
      meta: { id, parentId: headers['Nats-Msg-Id'] ?? '', component: isSubjectToken(last) ? last : '', timeMs: now, source: service },
      service,
      subject: msg.subject,
      reason: why,
      payload,
      headers: withHeaders ? headers : {},
      streamSeq: msg.info.streamSequence,
      deliveries: msg.info.deliveryCount,
      kind,
    }),
    id,
    headers: { 'X0-Reason': why.slice(0, 512).replace(/[\r\n]+/g, ' ') },
    reason: why,
    fits: true,
  });

  let letter = build(original, reason);
  const { maxBytes } = options;
  if (maxBytes === undefined || wireSize(letter) <= maxBytes) return letter;
  // Too large for the server: keep the payload's start. The reason grows by a few bytes and the
  // length prefix may shrink, so shrink by the excess until it fits (two rounds in practice).
  const total = original.length;
  let keep = Math.max(0, total - (wireSize(letter) - maxBytes));
  for (let round = 0; round < 8; round++) {
    letter = build(original.subarray(0, keep), `${reason} (payload truncated from ${total} to ${keep} bytes to fit the server's max_payload of ${maxBytes} bytes)`);
    const excess = wireSize(letter) - maxBytes;
    if (excess <= 0 || keep === 0) break;
    keep = Math.max(0, keep - excess);
  }
  if (wireSize(letter) <= maxBytes) return letter;
  // Even without payload the rest (a long reason — a handler's error message is unbounded —
  // and the input's headers) is too large: cut the reason and drop the headers, saying so.
  const cut = reason.length > MAX_CUT_REASON_CHARS ? `${reason.slice(0, MAX_CUT_REASON_CHARS)}… (reason cut from ${reason.length} to ${MAX_CUT_REASON_CHARS} characters; ` : `${reason} (`;
  letter = build(original.subarray(0, 0), `${cut}input headers dropped; payload truncated from ${total} to 0 bytes to fit the server's max_payload of ${maxBytes} bytes)`, false);
  return wireSize(letter) <= maxBytes ? letter : { ...letter, fits: false };
}

/** Bytes a published message counts against max_payload: data plus encoded headers (with Nats-Msg-Id). */
function wireSize(m: OutboundMessage): number {
  let h = 'NATS/1.0';
  for (const [k, v] of Object.entries({ ...m.headers, 'Nats-Msg-Id': m.id })) h += `\r\n${k}: ${v}`;
  h += '\r\n\r\n';
  return m.data.length + Buffer.byteLength(h) + HEADER_MARGIN;
}

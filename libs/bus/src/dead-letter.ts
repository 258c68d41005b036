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

/**
 * Builds the dead-letter message for an input a service could not process: the original
 * payload and headers, the subject, the stream sequence, the delivery count, the reason and its kind.
 * Its id derives from (service, stream, sequence, reason) so a retried dead-lettering is
 * de-duplicated.
 */
export function deadLetterFor(service: string, msg: JsMsg, why: { reason: string; kind: DeadLetterKind }, now = Date.now()): OutboundMessage {
  const { reason, kind } = why;
  const headers: Record<string, string> = {};
  if (msg.headers) for (const [k, v] of msg.headers) headers[k] = v.join(',');
  const tokens = msg.subject.split('.');
  const last = tokens[tokens.length - 1];
  const id = deriveId('dlq', service, msg.info.stream, msg.info.streamSequence, reason);
  const data = DEAD_LETTER_CODEC.encode({
    meta: { id, parentId: headers['Nats-Msg-Id'] ?? '', component: isSubjectToken(last) ? last : '', timeMs: now, source: service },
    service,
    subject: msg.subject,
    reason,
    payload: Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength),
    headers,
    streamSeq: msg.info.streamSequence,
    deliveries: msg.info.deliveryCount,
    kind,
  });
  return { subject: dlqSubject(service), data, id, headers: { 'X0-Reason': reason.slice(0, 512).replace(/[\r\n]+/g, ' ') } };
}

import { formatUtc } from '@x0/core';
import type { Bus } from '@x0/bus';
import { DEAD_LETTER_CODEC, STREAMS, subjectToken } from '@x0/contracts';
import { storedMessages } from './event-feed';

/** One dead letter, as `x0 dlq --json` prints it. */
export interface DeadLetterRecord {
  /** Service that refused the input (monitor, analyze, …). */
  service: string;
  /** `rejected` (bad input: the publisher's to fix) or `failed` (the service could not handle it). */
  kind: string;
  /** Subject the input came on, and why it was refused. */
  subject: string;
  reason: string;
  /** ISO-8601 time the letter was written. */
  time: string;
  /** Deliveries of the input before it was dead-lettered. */
  deliveries: number;
  /** Size of the input kept in the letter, and its start as text (control bytes escaped). */
  payload_bytes: number;
  payload: string;
  /** Sequence of the input in its stream, and of the letter in X0_DLQ. */
  input_seq: number;
  seq: number;
}

/** Options of {@link deadLetterFeed}. */
export interface DeadLetterFeedOptions {
  /** Only letters at or after this time (ms); default: only new ones. */
  sinceMs?: number;
  /** Keep waiting for new letters (default true); otherwise stop once caught up. */
  follow?: boolean;
  /** Only this service's letters (`x0.dlq.<service>`). */
  service?: string;
  signal?: AbortSignal;
}

/** Most characters of a payload a record shows. */
const PAYLOAD_SHOWN = 200;

/**
 * The dead letters of X0_DLQ (what a service refused, and why), oldest first, decoded; letters
 * that cannot be decoded are shown with their size and "undecodable dead letter" as the reason.
 */
export async function* deadLetterFeed(bus: Bus, options: DeadLetterFeedOptions = {}): AsyncGenerator<DeadLetterRecord> {
  const filter = options.service ? `x0.dlq.${subjectToken(options.service, 'service')}` : STREAMS.dlq.subjects[0];
  for await (const m of storedMessages(bus, STREAMS.dlq.name, filter, options)) {
    let letter;
    try {
      letter = DEAD_LETTER_CODEC.decode(m.data);
    } catch {
      yield { service: m.subject.split('.')[2] ?? '', kind: '', subject: '', reason: 'undecodable dead letter', time: new Date(m.info.timestampNanos / 1e6).toISOString(), deliveries: 0, payload_bytes: m.data.length, payload: '', input_seq: 0, seq: m.seq };
      continue;
    }
    const timeMs = letter.meta?.timeMs || m.info.timestampNanos / 1e6;
    yield {
      service: letter.service,
      kind: letter.kind,
      subject: letter.subject,
      reason: letter.reason,
      time: new Date(timeMs).toISOString(),
      deliveries: letter.deliveries,
      payload_bytes: letter.payload.length,
      payload: payloadText(letter.payload),
      input_seq: Number(letter.streamSeq),
      seq: m.seq,
    };
  }
}

/** The start of a payload as one line of text: UTF-8 (invalid bytes as U+FFFD), control characters escaped, cut at PAYLOAD_SHOWN characters. */
function payloadText(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.subarray(0, PAYLOAD_SHOWN * 4)).toString('utf8');
  const cut = text.length > PAYLOAD_SHOWN ? `${text.slice(0, PAYLOAD_SHOWN)}…` : text;
  return cut.replace(/[\u0000-\u001f\u007f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One line per letter: time, service, kind, subject, reason, size. */
export function formatDeadLetter(d: DeadLetterRecord): string {
  const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
  return `${formatUtc(Date.parse(d.time))}  ${d.service}  ${d.kind || '-'}  ${oneLine(d.subject) || '-'}  ${oneLine(d.reason)}  (${d.payload_bytes.toLocaleString('en-US')} B${d.deliveries > 1 ? `, ${d.deliveries} deliveries` : ''})`;
}

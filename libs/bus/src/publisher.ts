import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';

/** A message to publish into JetStream, with the id used as its `Nats-Msg-Id`. */
export interface OutboundMessage {
  subject: string;
  data: Uint8Array;
  /** Deterministic event id: a republish after redelivery is dropped by the stream. */
  id: string;
  headers?: Readonly<Record<string, string>>;
}

/** Result of publishing one message: `duplicate` means the stream already had this id. */
export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

/**
 * Publishes one message into JetStream with `Nats-Msg-Id` = its id and waits for the
 * stream's acknowledgement. Throws when no stream captures the subject or the server is down.
 */
export async function publishMessage(js: JetStreamClient, msg: OutboundMessage, timeoutMs = 5000): Promise<PublishResult> {
  let h;
  if (msg.headers) {
    h = natsHeaders();
    for (const [k, v] of Object.entries(msg.headers)) h.set(k, v);
  }
  const ack: PubAck = await js.publish(msg.subject, msg.data, { msgID: msg.id, headers: h, timeout: timeoutMs });
  return { seq: ack.seq, duplicate: ack.duplicate };
}

/**
 * Publishes many messages concurrently (one round trip of latency for the lot) and
 * reports each one's result or error, in order.
 */
export async function publishAll(js: JetStreamClient, msgs: readonly OutboundMessage[]): Promise<Array<PublishResult | Error>> {
  const settled = await Promise.allSettled(msgs.map((m) => publishMessage(js, m)));
  return settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason instanceof Error ? s.reason : new Error(String(s.reason))));
}

import { DEAD_LETTER_CODEC, EVENT_CODECS, STREAMS, dlqSubject, eventSubject, type DeadLetter, type EventPayloads, type EventType } from '@x0/contracts';
import type { Bus } from './connection';
import { publishMessage } from './publisher';

/** Publishes an event into X0_EVENTS with its id as Nats-Msg-Id (`msgId` overrides, to simulate a redelivered copy). */
export async function publishEvent<K extends EventType>(bus: Bus, type: K, event: EventPayloads[K], msgId?: string): Promise<void> {
  const meta = (event as { meta?: { id: string; component: string } }).meta!;
  await publishMessage(bus.js, { subject: eventSubject(type, meta.component), data: EVENT_CODECS[type].encode(event), id: msgId ?? meta.id });
}

/** Every stored event of one type (optionally one component), in stream order. */
export async function readEvents<K extends EventType>(bus: Bus, type: K, component = '*'): Promise<Array<EventPayloads[K]>> {
  const filter = `x0.events.${type}.${component}`;
  const info = await bus.jsm.streams.info(STREAMS.events.name, { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  const consumer = await bus.js.consumers.get(STREAMS.events.name, { filter_subjects: filter });
  const out: Array<EventPayloads[K]> = [];
  while (out.length < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(256, total - out.length), expires: 2000 });
    let got = 0;
    for await (const m of batch) {
      out.push(EVENT_CODECS[type].decode(m.data) as EventPayloads[K]);
      got++;
    }
    if (got === 0) break;
  }
  return out;
}

/** Every stored dead letter of one service (its `x0.dlq.<service>` subject), in stream order. */
export async function readDeadLetters(bus: Bus, service: string): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  const info = await bus.jsm.streams.info(STREAMS.dlq.name);
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    const m = await bus.jsm.streams.getMessage(STREAMS.dlq.name, { seq }).catch(() => undefined);
    if (m?.subject === dlqSubject(service)) out.push(DEAD_LETTER_CODEC.decode(m.data));
  }
  return out;
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

import { DeliverPolicy } from '@nats-io/jetstream';
import type { Bus } from '@x0/bus';
import { EVENT_CODECS, STREAMS, eventFilter, parseSubject, validateEvent, type EventPayloads, type EventType } from '@x0/contracts';
import { EventLoopSlice } from './event-loop-slice';

/** An event read back from X0_EVENTS, with where and when it was stored. */
export interface StoredEvent<K extends EventType> {
  event: EventPayloads[K];
  seq: number;
  /** When the stream stored it (not the event's own time). */
  storedMs: number;
}

/** Options of {@link replayNewestEventsOf}. */
export interface NewestEventsOptions<K extends EventType> {
  /** Nothing stored before this time is read. */
  sinceMs: number;
  /** Stream sequences of the newest block; each older block is twice as long as the one after it. */
  blockSize: number;
  /**
   * Called with each block's events (in stream order, maybe none), the newest block first, the
   * last one read included; resolves to true once the events read so far are enough: no older
   * block is read then.
   */
  enough(block: ReadonlyArray<StoredEvent<K>>): boolean | Promise<boolean>;
}

/**
 * Reads the events of one type stored in X0_EVENTS since `sinceMs` from the newest back, a
 * block of stream sequences at a time, until `enough` says so or `sinceMs` is reached, and
 * returns those read in stream order (undecodable or invalid ones, which their consumers
 * dead-lettered, are skipped). Reads as far back as the caller needs instead of everything
 * since `sinceMs`; every block is read with an ordered consumer (nothing durable is left).
 */
export async function replayNewestEventsOf<K extends EventType>(bus: Bus, type: K, o: NewestEventsOptions<K>): Promise<Array<StoredEvent<K>>> {
  const floor = await firstSeqSince(bus, type, o.sinceMs);
  if (floor === undefined) return [];
  const blocks: Array<Array<StoredEvent<K>>> = [];
  let hi = (await bus.jsm.streams.info(STREAMS.events.name)).state.last_seq;
  let size = Math.max(1, o.blockSize);
  while (hi >= floor) {
    const lo = Math.max(floor, hi - size + 1);
    const block = await readEventRange(bus, type, lo, hi);
    blocks.unshift(block);
    if ((await o.enough(block)) || lo === floor) break;
    hi = lo - 1;
    size *= 2;
  }
  return blocks.flat();
}

/** The stream sequence of the first event of `type` stored at or after `sinceMs`; undefined when there is none. */
export async function firstSeqSince(bus: Bus, type: EventType, sinceMs: number): Promise<number | undefined> {
  const consumer = await bus.js.consumers.get(STREAMS.events.name, {
    filter_subjects: eventFilter(type),
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(Math.max(0, sinceMs)).toISOString(),
  });
  if ((await consumer.info()).num_pending === 0) return undefined;
  const m = await consumer.next({ expires: 10_000 });
  if (!m) throw new Error(`X0_EVENTS did not deliver the first ${type} event since ${new Date(sinceMs).toISOString()}`);
  return m.seq;
}

/** The events of `type` stored with sequences `fromSeq`..`toSeq`, in stream order (bad ones skipped). */
export async function readEventRange<K extends EventType>(bus: Bus, type: K, fromSeq: number, toSeq: number): Promise<Array<StoredEvent<K>>> {
  const out: Array<StoredEvent<K>> = [];
  if (toSeq < fromSeq) return out;
  const consumer = await bus.js.consumers.get(STREAMS.events.name, {
    filter_subjects: eventFilter(type),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(1, fromSeq),
  });
  // Pending counts every match to the end of the stream: none at all means none in the range either.
  if ((await consumer.info()).num_pending === 0) return out;
  const slice = new EventLoopSlice();
  const messages = await consumer.consume();
  try {
    for await (const m of messages) {
      await slice.maybeYield();
      if (m.seq > toSeq) break;
      try {
        const parsed = parseSubject(m.subject);
        if (parsed.type === 'event') out.push({ event: validateEvent(type, EVENT_CODECS[type].decode(m.data) as EventPayloads[K], parsed.component), seq: m.seq, storedMs: m.info.timestampNanos / 1e6 });
      } catch {
        // Dead-lettered by the feedback consumer: it never counted.
      }
      if (m.seq >= toSeq || m.info.pending === 0) break;
    }
  } finally {
    await messages.close().catch(() => undefined);
  }
  return out;
}

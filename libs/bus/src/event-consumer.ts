import { InvalidArgumentError } from '@x0/core';
import { EVENT_CODECS, STREAMS, eventFilter, parseSubject, validateEvent, type EventPayloads, type EventType } from '@x0/contracts';
import { ConsumerLoop, type ConsumerLoopOptions, type Delivery, type HandleResult } from './consumer-loop';

export interface EventConsumerOptions<K extends EventType>
  extends Omit<ConsumerLoopOptions<EventPayloads[K]>, 'stream' | 'filterSubject' | 'decode' | 'handleBatch'> {
  /** Event type to consume (`x0.events.<type>.>`). */
  type: K;
  /**
   * Handles one validated event. Throw InvalidArgumentError (or return `invalid`) for bad
   * input that must be dead-lettered; any other error is retried.
   */
  handle?(event: EventPayloads[K], delivery: Delivery<EventPayloads[K]>): HandleResult | Promise<HandleResult>;
  /**
   * Handles a whole batch of validated events at once (one result per event, in order), for
   * handlers that gain from batching their own writes. Used instead of `handle` when given.
   * Throwing retries the batch; InvalidArgumentError dead-letters every event of it.
   */
  handleAll?(deliveries: readonly Delivery<EventPayloads[K]>[]): Promise<HandleResult[]>;
  /**
   * Run the handler for the events of one batch concurrently (results keep delivery order).
   * Only for handlers whose work is independent per event and mostly waiting (e.g. a request
   * to another service); default false: one after another.
   */
  concurrent?: boolean;
}

/**
 * A ConsumerLoop over one event type of X0_EVENTS: decodes the protobuf, validates the
 * header and fields (component must match the subject), then calls `handle` per event,
 * in order. Bad events are dead-lettered with the validation message.
 */
export function createEventConsumer<K extends EventType>(options: EventConsumerOptions<K>): ConsumerLoop<EventPayloads[K]> {
  const codec = EVENT_CODECS[options.type];
  const { handle, handleAll } = options;
  if (!handle && !handleAll) throw new InvalidArgumentError('handle', 'an event consumer needs handle or handleAll');
  return new ConsumerLoop<EventPayloads[K]>({
    ...options,
    stream: STREAMS.events.name,
    filterSubject: eventFilter(options.type),
    decode: (data, subject) => {
      const parsed = parseSubject(subject);
      if (parsed.type !== 'event' || parsed.event !== options.type) throw new InvalidArgumentError('subject', `is not a ${options.type} subject: ${subject}`);
      return validateEvent(options.type, codec.decode(data) as EventPayloads[K], parsed.component);
    },
    handleBatch: async (items) => {
      if (handleAll) {
        try {
          return await handleAll(items);
        } catch (err) {
          if (err instanceof InvalidArgumentError) return items.map(() => ({ type: 'invalid' as const, reason: err.message }));
          throw err;
        }
      }
      const one = async (d: Delivery<EventPayloads[K]>): Promise<HandleResult> => {
        try {
          return await handle!(d.value, d);
        } catch (err) {
          if (err instanceof InvalidArgumentError) return { type: 'invalid', reason: err.message };
          throw err;
        }
      };
      if (options.concurrent) return Promise.all(items.map(one));
      const results: HandleResult[] = [];
      for (const d of items) results.push(await one(d));
      return results;
    },
  });
}

import { AckPolicy, DeliverPolicy, type ConsumerConfig, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { InvalidArgumentError, errorMessage } from '@x0/core';
import type { Bus, BusLogger } from './connection';
import { deadLetterFor, deadLetterMaxBytes, type DeadLetterKind } from './dead-letter';
import { publishAll, publishMessage, type OutboundMessage } from './publisher';
import { partitionOf } from './partition';

/** One decoded input handed to a handler, with where it came from. */
export interface Delivery<T> {
  readonly value: T;
  readonly subject: string;
  readonly streamSeq: number;
  /** 1 on first delivery. */
  readonly deliveries: number;
  /** Header value by name ('' when absent). */
  header(name: string): string;
}

/**
 * What a handler decided for one input.
 * - ok: publish `outputs`, then ack; `rejected` lists parts of the input that were dropped
 *   (e.g. NaN samples), which are dead-lettered with the original payload (kind `rejected`).
 * - invalid: the input is bad (not a transient failure): publish `outputs` if any, send the
 *   input to the dead-letter subject with `reason` (kind `rejected`), and terminate it (no redelivery).
 */
export type HandleResult =
  | { type: 'ok'; outputs?: OutboundMessage[]; rejected?: string[] }
  | { type: 'invalid'; reason: string; outputs?: OutboundMessage[] };

/** Counters a consumer loop reports (ServiceStats in @x0/service-kit implements this). */
export interface ConsumerObserver {
  received(count: number): void;
  /** One input fully handled (acked or dead-lettered), with its decode-to-ack time. */
  handled(latencyMs: number): void;
  published(count: number): void;
  deadLettered(reason: string): void;
  failed(error: unknown): void;
}

export interface ConsumerLoopOptions<T> {
  bus: Bus;
  /** Service name: the durable's default name and the dead-letter subject `x0.dlq.<service>`. */
  service: string;
  stream: string;
  /** Durable consumer name (default: the service name). */
  durable?: string;
  filterSubject: string;
  /** Turns raw bytes into a value; throw InvalidArgumentError for malformed input. */
  decode(data: Uint8Array, subject: string): T;
  /** Handles a batch in delivery order, one result per item. Throwing means "retry the batch". */
  handleBatch(items: readonly Delivery<T>[]): HandleResult[] | Promise<HandleResult[]>;
  /** Largest batch handed to the handler (default 256). */
  maxBatch?: number;
  /** Deliveries after which a failing input is dead-lettered (default 5). */
  maxDeliver?: number;
  /** Time the server waits for an ack before redelivering (default 30 s). */
  ackWaitMs?: number;
  /** Unacked messages the server lets this consumer hold (default 8,192). */
  maxAckPending?: number;
  /** Payloads above this are dead-lettered unread (default 1 MiB). */
  maxPayloadBytes?: number;
  /** Where a new durable starts (default 'all'). */
  deliverPolicy?: 'all' | 'new';
  /**
   * Scale-out by component: this replica handles only components whose hash falls in its
   * partition and acks the rest. Each partition has its own durable (`<durable>-p<index>`).
   */
  partition?: { index: number; count: number };
  logger?: BusLogger;
  observer?: ConsumerObserver;
}

/** A dead letter's reason and kind. */
interface DeadLetterWhy {
  reason: string;
  kind: DeadLetterKind;
}

const noopObserver: ConsumerObserver = { received() {}, handled() {}, published() {}, deadLettered() {}, failed() {} };

/**
 * A durable JetStream pull consumer that decodes, validates, calls the handler, publishes
 * the outputs (with their ids as `Nats-Msg-Id`), and only then acks. Undecodable or invalid
 * input goes to `x0.dlq.<service>` with the reason (kind `rejected`) and is terminated; a
 * handler failure is retried with backoff and dead-lettered after `maxDeliver` deliveries
 * (kind `failed`).
 */
export class ConsumerLoop<T> {
  private readonly o: Required<Omit<ConsumerLoopOptions<T>, 'partition' | 'logger' | 'observer' | 'durable'>> & ConsumerLoopOptions<T>;
  private readonly durable: string;
  private readonly observer: ConsumerObserver;
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private stopping?: Promise<void>;
  private inFlight = 0;

  constructor(options: ConsumerLoopOptions<T>) {
    this.o = {
      maxBatch: 256,
      maxDeliver: 5,
      ackWaitMs: 30_000,
      maxAckPending: 8192,
      maxPayloadBytes: 1024 * 1024,
      deliverPolicy: 'all',
      ...options,
    };
    const base = options.durable ?? options.service;
    this.durable = options.partition ? `${base}-p${options.partition.index}` : base;
    this.observer = options.observer ?? noopObserver;
  }

  /** Name of the durable consumer this loop reads. */
  get consumerName(): string {
    return this.durable;
  }

  /** Inputs taken from the stream but not yet acked or dead-lettered. */
  get pending(): number {
    return this.inFlight;
  }

  /** Creates or updates the durable consumer and starts reading. Safe to call twice. */
  async start(): Promise<void> {
    if (this.loop) return;
    await this.ensureConsumer();
    const consumer = await this.o.bus.js.consumers.get(this.o.stream, this.durable);
    this.messages = await consumer.consume({ max_messages: Math.max(2 * this.o.maxBatch, 64) });
    this.loop = this.run(this.messages).catch((err) => {
      this.o.logger?.error({ err: errorMessage(err), consumer: this.durable }, 'consumer loop stopped');
      this.observer.failed(err);
    });
  }

  /** Stops reading, finishes the batch in hand (publish + ack), then resolves. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.messages) await this.messages.close().catch(() => undefined);
      await this.loop;
    })();
    return this.stopping;
  }

  private async ensureConsumer(): Promise<void> {
    const { jsm } = this.o.bus;
    const wanted: Partial<ConsumerConfig> = {
      durable_name: this.durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.o.ackWaitMs),
      // Unlimited on the server: this loop dead-letters after maxDeliver itself, also for a
      // message that crashed the process on every delivery.
      max_deliver: -1,
      max_ack_pending: this.o.maxAckPending,
      filter_subject: this.o.filterSubject,
      deliver_policy: this.o.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    };
    const info = await jsm.consumers.info(this.o.stream, this.durable).catch(() => undefined);
    if (!info) {
      try {
        await jsm.consumers.add(this.o.stream, wanted);
        return;
      } catch (err) {
        if (!(await jsm.consumers.info(this.o.stream, this.durable).catch(() => undefined))) throw err;
      }
    }
    const cur = info?.config;
    if (!cur || cur.filter_subject !== wanted.filter_subject || cur.ack_wait !== wanted.ack_wait || cur.max_ack_pending !== wanted.max_ack_pending) {
      await jsm.consumers.update(this.o.stream, this.durable, {
        filter_subject: wanted.filter_subject,
        ack_wait: wanted.ack_wait,
        max_ack_pending: wanted.max_ack_pending,
        max_deliver: wanted.max_deliver,
      });
    }
  }

  /**
   * Takes messages as they come and hands them over in batches: a batch is handled when it is
   * full, or as soon as no further message is already waiting (checked by racing the next
   * message against one turn of the event loop), so a lone message is never held back.
   */
  private async run(messages: ConsumerMessages): Promise<void> {
    const it = messages[Symbol.asyncIterator]();
    let batch: JsMsg[] = [];
    let next = it.next();
    for (;;) {
      let r: IteratorResult<JsMsg>;
      if (batch.length === 0) {
        r = await next;
      } else {
        const raced = await Promise.race([next, nextTurn()]);
        if (raced === NEXT_TURN) {
          const current = batch;
          batch = [];
          await this.processBatch(current);
          continue;
        }
        r = raced;
      }
      if (r.done) break;
      batch.push(r.value);
      next = it.next();
      if (batch.length >= this.o.maxBatch) {
        const current = batch;
        batch = [];
        await this.processBatch(current);
      }
    }
    if (batch.length > 0) await this.processBatch(batch);
  }

  private async processBatch(msgs: JsMsg[]): Promise<void> {
    const started = performance.now();
    this.inFlight += msgs.length;
    this.observer.received(msgs.length);
    try {
      const items: Array<{ msg: JsMsg; delivery: Delivery<T> }> = [];
      for (const m of msgs) {
        const early = this.precheck(m);
        if (early === 'skip') {
          m.ack();
          continue;
        }
        if (early) {
          await this.deadLetter(m, early);
          continue;
        }
        try {
          const value = this.o.decode(m.data, m.subject);
          items.push({ msg: m, delivery: toDelivery(m, value) });
        } catch (err) {
          if (err instanceof InvalidArgumentError) await this.deadLetter(m, { reason: err.message, kind: 'rejected' });
          else await this.retryOrDeadLetter(m, err);
        }
      }
      if (items.length === 0) return;

      let results: HandleResult[];
      try {
        results = await this.o.handleBatch(items.map((i) => i.delivery));
        if (results.length !== items.length) throw new Error(`handler returned ${results.length} results for ${items.length} inputs`);
      } catch (err) {
        this.o.logger?.warn({ err: errorMessage(err), consumer: this.durable, count: items.length }, 'handler failed; will retry');
        this.observer.failed(err);
        for (const i of items) await this.retryOrDeadLetter(i.msg, err);
        return;
      }

      const outputs = results.flatMap((r) => r.outputs ?? []);
      const published = outputs.length > 0 ? await publishAll(this.o.bus.js, outputs) : [];
      const failedOutputs = new Set<OutboundMessage>();
      published.forEach((r, i) => {
        if (r instanceof Error) failedOutputs.add(outputs[i]);
      });
      this.observer.published(published.length - failedOutputs.size);

      this.o.logger?.debug({ consumer: this.durable, batch: msgs.length, outputs: outputs.length, ms: Math.round(performance.now() - started) }, 'batch handled');
      for (let k = 0; k < items.length; k++) {
        const { msg } = items[k];
        const result = results[k];
        if ((result.outputs ?? []).some((o) => failedOutputs.has(o))) {
          // Outputs not stored: leave the input for redelivery; ids make the retry idempotent.
          this.observer.failed(new Error('publish failed'));
          msg.nak(backoffMs(msg.info.deliveryCount));
          continue;
        }
        if (result.type === 'invalid') {
          await this.deadLetter(msg, { reason: result.reason, kind: 'rejected' });
          continue;
        }
        if (result.rejected && result.rejected.length > 0) {
          const ok = await this.publishDeadLetter(msg, { reason: result.rejected.join('; '), kind: 'rejected' });
          if (!ok) {
            msg.nak(backoffMs(msg.info.deliveryCount));
            continue;
          }
        }
        msg.ack();
        this.observer.handled(performance.now() - started);
      }
    } finally {
      this.inFlight -= msgs.length;
    }
  }

  /** Why to dead-letter without decoding, 'skip' for another partition's input, or undefined. */
  private precheck(m: JsMsg): DeadLetterWhy | 'skip' | undefined {
    const p = this.o.partition;
    if (p && partitionOf(m.subject, p.count) !== p.index) return 'skip';
    if (m.info.deliveryCount > this.o.maxDeliver) {
      const reason = `delivered ${m.info.deliveryCount} times without being handled (limit ${this.o.maxDeliver}); the service may have crashed on it`;
      return { reason, kind: 'failed' };
    }
    if (m.data.length > this.o.maxPayloadBytes) return { reason: `payload of ${m.data.length} bytes exceeds the limit of ${this.o.maxPayloadBytes} bytes`, kind: 'rejected' };
    return undefined;
  }

  private async retryOrDeadLetter(m: JsMsg, err: unknown): Promise<void> {
    if (m.info.deliveryCount >= this.o.maxDeliver) {
      await this.deadLetter(m, { reason: `failed ${m.info.deliveryCount} times: ${errorMessage(err)}`, kind: 'failed' });
    } else {
      m.nak(backoffMs(m.info.deliveryCount));
    }
  }

  /** Dead-letters and terminates the input; if the DLQ cannot be written, leaves it for redelivery. */
  private async deadLetter(m: JsMsg, why: DeadLetterWhy): Promise<void> {
    if (await this.publishDeadLetter(m, why)) {
      // No reason text: nats-server 2.9 ignores '+TERM <reason>'. The reason is in the dead letter.
      m.term();
      this.observer.handled(0);
    } else {
      m.nak(backoffMs(m.info.deliveryCount));
    }
  }

  /**
   * Writes the dead letter and logs it once it is stored. The letter fits the server's
   * max_payload: a payload that would not is truncated (then a long reason cut, the input's
   * headers dropped), and its reason says so. A letter that cannot fit at all is not written:
   * the error is logged with its reason, and true returned so the input is terminated, not
   * redelivered for ever.
   */
  private async publishDeadLetter(m: JsMsg, why: DeadLetterWhy): Promise<boolean> {
    const maxBytes = deadLetterMaxBytes(this.o.bus.nc.info?.max_payload);
    const letter = deadLetterFor(this.o.service, m, why, { maxBytes });
    const { kind } = why;
    const { reason } = letter;
    if (!letter.fits) {
      // The server would refuse it on every delivery: terminate the input, the log keeps the reason.
      this.o.logger?.error({ subject: m.subject, seq: m.info.streamSequence, reason, kind, maxBytes }, "dead letter cannot fit the server's max_payload; input terminated without one");
      this.observer.failed(new Error(`dead letter of ${m.subject} #${m.info.streamSequence} larger than max_payload ${maxBytes}`));
      return true;
    }
    try {
      await publishMessage(this.o.bus.js, { subject: letter.subject, data: letter.data, id: letter.id, headers: letter.headers });
    } catch (err) {
      this.o.logger?.error({ err: errorMessage(err), subject: m.subject, seq: m.info.streamSequence, reason, kind }, 'cannot write dead letter; input kept for redelivery');
      this.observer.failed(err);
      return false;
    }
    this.o.logger?.warn({ subject: m.subject, seq: m.info.streamSequence, reason, kind }, 'dead-lettered input');
    this.observer.deadLettered(why.reason);
    return true;
  }
}

function toDelivery<T>(m: JsMsg, value: T): Delivery<T> {
  return {
    value,
    subject: m.subject,
    streamSeq: m.info.streamSequence,
    deliveries: m.info.deliveryCount,
    header: (name) => m.headers?.get(name) ?? '',
  };
}

const NEXT_TURN = Symbol('next-turn');

/** Resolves after the current turn of the event loop (I/O already received is delivered first). */
function nextTurn(): Promise<typeof NEXT_TURN> {
  return new Promise((resolve) => setImmediate(() => resolve(NEXT_TURN)));
}

/** Redelivery delay after the n-th failed delivery: 250 ms doubling, at most 10 s. */
export function backoffMs(deliveries: number): number {
  return Math.min(10_000, 250 * 2 ** Math.max(0, deliveries - 1));
}

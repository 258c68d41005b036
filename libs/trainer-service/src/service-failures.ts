import { ConsumerLoop, type Bus } from '@x0/bus';
import { DEAD_LETTER_CODEC, STREAMS } from '@x0/contracts';
import type { Logger } from '@x0/service-kit';

/**
 * Counts each service's `failed` dead letters (inputs it failed on every delivery) from
 * X0_DLQ (durable `trainer-dlq`) until they are taken: they count as its model's errors.
 * `rejected` ones are bad input, the publisher's problem, and are not counted.
 */
export class ServiceFailures {
  private readonly pending = new Map<string, number>();
  private readonly loop: ConsumerLoop<{ service: string; kind: string }>;

  constructor(o: { bus: Bus; logger: Logger }) {
    this.loop = new ConsumerLoop<{ service: string; kind: string }>({
      bus: o.bus,
      service: 'trainer',
      durable: 'trainer-dlq',
      stream: STREAMS.dlq.name,
      filterSubject: 'x0.dlq.>',
      logger: o.logger,
      decode: (data) => {
        const { service, kind } = DEAD_LETTER_CODEC.decode(data);
        return { service, kind };
      },
      handleBatch: (items) =>
        items.map((d) => {
          if (d.value.kind === 'failed') this.pending.set(d.value.service, (this.pending.get(d.value.service) ?? 0) + 1);
          return { type: 'ok' };
        }),
    });
  }

  /** Starts consuming the dead letters. */
  start(): Promise<void> {
    return this.loop.start();
  }

  /** Stops consuming (the durable stays: a restart resumes where it stopped). */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** The failures of `service` counted since the last take (and counts afresh). */
  take(service: string): number {
    const n = this.pending.get(service) ?? 0;
    this.pending.set(service, 0);
    return n;
  }
}

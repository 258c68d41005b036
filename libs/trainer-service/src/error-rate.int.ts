import { ConsumerLoop, publishMessage, type HandleResult } from '@x0/bus';
import { waitFor } from '@x0/bus/testing';
import { INFERENCE_REPORT_CODEC, STREAMS, inferenceSubject } from '@x0/contracts';
import { InvalidArgumentError } from '@x0/core';
import { selectBackend } from '@x0/lora';
import { startTrainerUnderTest, type TrainerUnderTest } from './testing';

// Real nats-server and gRPC on a loaded machine: generous limits, no timing assertions.
jest.setTimeout(120_000);

describe('trainer error rate - dead letters of the serving service', () => {
  let t: TrainerUnderTest;
  let execute: ConsumerLoop<string>;

  /** Waits until `n` dead letters of execute are stored and the trainer has read them all. */
  async function deadLettersRead(n: number): Promise<void> {
    await waitFor(async () => (await t.bus.jsm.streams.info(STREAMS.dlq.name)).state.messages >= n, 30_000, `${n} dead letters`);
    await waitFor(
      async () => {
        const info = await t.bus.jsm.consumers.info(STREAMS.dlq.name, 'trainer-dlq');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      30_000,
      'the trainer to read them',
    );
  }

  function report(inferences: number): void {
    const latencySamplesMs = Array.from({ length: inferences }, () => 5);
    t.bus.nc.publish(
      inferenceSubject('action-params'),
      INFERENCE_REPORT_CODEC.encode({ service: 'execute', instance: 'e-1', model: 'action-params', version: '1', timeMs: Date.now(), inferences, failures: 0, latency: undefined, latencySamplesMs }),
    );
  }

  const errorRate = async () => (await t.call('getModelPerformance', { model: 'action-params' })).errorRate!;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({ env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_SAMPLES: '10' } });
    // The serving service as the bus runs it: its consumer loop dead-letters what it rejects and what it fails on.
    execute = new ConsumerLoop<string>({
      bus: t.bus,
      service: 'execute',
      stream: STREAMS.events.name,
      filterSubject: 'x0.events.plan.>',
      maxDeliver: 1,
      decode: (data) => {
        const text = Buffer.from(data).toString();
        if (text.startsWith('garbage')) throw new InvalidArgumentError('payload', 'is not a plan');
        return text;
      },
      handleBatch: (items) =>
        items.map((d): HandleResult => {
          if (d.value.startsWith('boom')) throw new Error('the model failed');
          if (d.value.startsWith('invalid')) return { type: 'invalid', reason: "'timeMs' is before the component's last sample" };
          return { type: 'ok', rejected: ["'samples[0].value' must be finite, got NaN"] };
        }),
    });
    await execute.start();
  });
  afterAll(async () => {
    await execute?.stop();
    await t?.stop();
  });

  it('drift - judged for the detector only: the action-params model has no drift figure (x0 models show printed "not judged" for it)', async () => {
    const p = await t.call('getModelPerformance', { model: 'action-params' });
    expect(p.drift).toBeUndefined();
    expect(p.errorRate).toBeDefined();
  });

  it('error rate - a flood of rejected input does not move it; inputs the service failed on do', async () => {
    for (let i = 0; i < 60; i++) {
      const body = ['garbage', 'invalid', 'partial'][i % 3];
      await publishMessage(t.bus.js, { subject: 'x0.events.plan.c1', data: Buffer.from(`${body}-${i}`), id: `bad-${i}` });
    }
    await deadLettersRead(60);
    report(40);
    const clean = await waitFor(async () => ((await errorRate()).samples >= 40 ? errorRate() : undefined), 30_000, 'the first report');
    expect(clean).toMatchObject({ value: 0, samples: 40, judged: true, breached: false });

    for (let i = 0; i < 2; i++) await publishMessage(t.bus.js, { subject: 'x0.events.plan.c1', data: Buffer.from(`boom-${i}`), id: `boom-${i}` });
    await deadLettersRead(62);
    report(40);
    const failed = await waitFor(async () => ((await errorRate()).samples >= 82 ? errorRate() : undefined), 30_000, 'the second report');
    expect(failed).toMatchObject({ samples: 82 });
    expect(failed.value).toBeCloseTo(2 / 82, 6);
  });
});

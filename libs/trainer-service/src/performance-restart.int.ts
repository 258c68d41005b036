import { openKeyValue, toKvKey } from '@x0/bus';
import { selectBackend } from '@x0/lora';
import type { Alert } from '@x0/model-monitor';
import { TRAINER_ALERTS_BUCKET } from './raised-alerts';
import { startTrainerUnderTest, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

// Real nats-server and gRPC on a loaded machine: generous limits, no timing assertions.
jest.setTimeout(120_000);

describe('trainer performance - alerts in force', () => {
  let t: TrainerUnderTest;

  /** A record of an alert raised for detector version 1 before this trainer started. */
  const record = (monitor: string, type: Alert['type']) => {
    const alert: Alert = { id: `alr-${monitor}-${type}`, type, model: monitor, value: 0.5, threshold: 0.2, samples: 300, timeMs: Date.now() - 60_000, message: `${monitor}: test` };
    return [`${toKvKey(monitor)}.${type}`, JSON.stringify({ model: 'detector', version: '1', alert })] as const;
  };

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_MIN_SAMPLES: '5' },
      before: async (bus) => {
        // Registers nothing yet: the trainer registers the shipped version 1 on its first start.
        const kv = await openKeyValue(bus, TRAINER_ALERTS_BUCKET);
        for (const [key, value] of [record('detector:demo-queue', 'input_drift'), record('detector:demo-web', 'input_drift'), record('detector', 'latency_high')]) await kv.put(key, value);
      },
    });
  });
  afterAll(() => t?.stop());

  it('alerts - every alert in force is listed, drift per component, also those carried over from before a restart', async () => {
    const p = await t.call('getModelPerformance', { model: 'detector' });
    expect(p.alerts).toEqual(['input_drift:demo-queue', 'input_drift:demo-web', 'latency_high']);
  });
});

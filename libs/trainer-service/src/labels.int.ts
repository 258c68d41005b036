import { publishMessage } from '@x0/bus';
import { Anomaly, EVENT_CODECS, eventSubject } from '@x0/contracts';
import { selectBackend } from '@x0/lora';
import { startTrainerUnderTest, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

// Real nats-server and gRPC on a loaded machine: generous limits, no timing assertions.
jest.setTimeout(120_000);

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('trainer labels - attribution to the version that raised the anomaly', () => {
  let t: TrainerUnderTest;

  /** Publishes an anomaly as a monitor serving `forecaster` would (modelVersion `stat-v1+mlp-forecaster-<v>`). */
  async function anomaly(id: string, forecaster: string, component = 'api-1'): Promise<void> {
    const a = Anomaly.fromPartial({ meta: { id, component, timeMs: Date.now(), source: 'monitor' }, score: 0.95, modelVersion: `stat-v1+mlp-forecaster-${forecaster}` });
    await publishMessage(t.bus.js, { subject: eventSubject('anomaly', component), data: EVENT_CODECS.anomaly.encode(a), id });
  }

  /** Labels once the trainer has indexed the anomaly. */
  function label(anomalyId: string, real: boolean, actor = 'alice') {
    return waitFor(`a label of ${anomalyId}`, async () => {
      try {
        return await t.call('label', { anomalyId, anomaly: real, actor, reason: '', component: '' });
      } catch {
        return undefined;
      }
    });
  }

  const accuracy = async () => (await t.call('getModelPerformance', { model: 'detector' })).accuracy!;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_MIN_SAMPLES: '4' },
    });
    const v1 = await t.registry.loadModel('detector', '1');
    await t.registry.register({ model: 'detector', version: '2', artifacts: v1, signature: { inputShape: [24] } });
    v1.dispose();
    await t.call('promote', { model: 'detector', version: '2', alias: '', reason: 'test', actor: 'ci' });
    await waitFor('the monitor to follow champion 2', async () => (await t.call('getModelPerformance', { model: 'detector' })).version === '2');
  });
  afterAll(() => t?.stop());

  it("attribution - false alarms of version 1 do not move champion 2's accuracy; its own labels do", async () => {
    for (let i = 0; i < 6; i++) await anomaly(`an-v1-${i}`, '1');
    for (let i = 0; i < 4; i++) await anomaly(`an-v2-${i}`, '2');
    for (let i = 0; i < 6; i++) await label(`an-v1-${i}`, false);
    for (let i = 0; i < 4; i++) await label(`an-v2-${i}`, true);
    // Labels are consumed in stream order: once version 2's are counted, version 1's were seen.
    const acc = await waitFor("champion 2's labels", async () => ((await accuracy()).samples >= 4 ? accuracy() : undefined));
    expect(acc).toMatchObject({ value: 1, samples: 4, judged: true, breached: false });
  });

  it('attribution - after a rollback to the shipped version, anomalies of the bundled forecaster (b1) count for it', async () => {
    await t.call('rollback', { model: 'detector', alias: '', reason: 'test', actor: 'ci' });
    await waitFor('the monitor to follow champion 1', async () => (await t.call('getModelPerformance', { model: 'detector' })).version === '1');
    await anomaly('an-b1-0', 'b1');
    await anomaly('an-v2-late', '2');
    await label('an-v2-late', false);
    await label('an-b1-0', false);
    const acc = await waitFor("champion 1's label", async () => ((await accuracy()).samples >= 1 ? accuracy() : undefined));
    expect(acc).toMatchObject({ value: 0, samples: 1 });
  });
});

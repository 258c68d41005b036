/**
 * An action-parameter adapter job during which the base's champion moves trains again on the
 * champion that serves: an adapter of the old base would not apply (execute's advisor serves
 * the base alone for that component). Real nats-server, registry and training.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTION_PARAMS_MODEL, gridOf, recovers, seededRandom, type SyntheticComponent } from '@x0/action-params';
import { publishMessage } from '@x0/bus';
import { ActionResult, ActionStatus, EVENT_CODECS, Outcome, Severity, Verdict, eventSubject } from '@x0/contracts';
import { selectBackend } from '@x0/lora';
import { actionParamsTrainable } from './action-params-trainable';
import { startTrainerUnderTest, trainWhileBaseMoves, type TrainerUnderTest } from './testing';

jest.setTimeout(120_000);

const T0 = Date.now() - 3_600_000;

describe('action-params adapter job - the base moves while it trains', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({ env: { TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_OUTCOMES_PER_RETRAIN: '1000' } });
    const stubborn: SyntheticComponent = { name: 'ap-db', needs: { scale_up: 5, throttle: 40 } };
    const rand = seededRandom(5);
    for (let i = 0; i < 40; i++) {
      const delta = gridOf('scale_up')[i % 5];
      const ok = recovers(stubborn, 'scale_up', delta, 2, rand);
      const meta = (id: string) => ({ id, component: 'ap-db', timeMs: T0 + i * 60_000 + (id.startsWith('o') ? 30_000 : 0), source: 'test' });
      const incident = { anomalyId: `an-${i}`, component: 'ap-db', score: 0.8, severity: Severity.SEVERITY_MEDIUM, action: 'scale_up' };
      const action = ActionResult.fromPartial({ meta: meta(`act-${i}`), incident, planId: `pl-${i}`, action: 'scale_up', status: ActionStatus.ACTION_STATUS_SUCCEEDED, params: { delta: String(delta) } });
      const outcome = Outcome.fromPartial({ meta: meta(`out-${i}`), incident, actionId: `act-${i}`, verdict: ok ? Verdict.VERDICT_RECOVERED : Verdict.VERDICT_NOT_RECOVERED, recovered: ok });
      await publishMessage(t.bus.js, { subject: eventSubject('action', 'ap-db'), data: EVENT_CODECS.action.encode(action), id: action.meta!.id });
      await publishMessage(t.bus.js, { subject: eventSubject('outcome', 'ap-db'), data: EVENT_CODECS.outcome.encode(outcome), id: outcome.meta!.id });
    }
    // a second base version with other weights, not the champion yet
    const base = await t.registry.loadModel(ACTION_PARAMS_MODEL, '1');
    base.setWeights(base.getWeights().map((w) => tf.tidy(() => w.mul(1.01))));
    await t.registry.register({ model: ACTION_PARAMS_MODEL, version: '2', artifacts: base, signature: { inputShape: [5] } });
    base.dispose();
  });
  afterAll(() => t?.stop());

  it('is trained again on the new champion, and registered with its signature and version', async () => {
    const { outcome, moved, baseHash } = await trainWhileBaseMoves(t, actionParamsTrainable({ epochs: 20 }), { component: 'ap-db', sinceMs: T0 - 1000, baseModel: ACTION_PARAMS_MODEL, version: '2' });
    try {
      // (the move landed while the job ran: otherwise this test would prove nothing)
      expect(moved).toBe(true);
      expect(outcome.model).toBe('action-params--ap-db');
      expect(outcome.config).toMatchObject({ baseVersion: '2', component: 'ap-db' });
      expect(outcome.signature.baseModelHash).toBe(baseHash);
    } finally {
      outcome.dispose();
    }
  });
});

import { ACTION_PARAMS_MODEL } from '@x0/action-params';
import { DETECTOR_MODEL } from '@x0/model-serving';
import { actionParamsTrainable } from './action-params-trainable';
import { detectorTrainable } from './detector-trainable';
import { checkJobRequest } from './job-request';
import type { TrainableModel } from './trainable';
import { anomalyDetectorBase } from './trainer-service';

describe('checkJobRequest', () => {
  const detector = detectorTrainable({ base: anomalyDetectorBase(), epochs: 1, incidents: { tailMs: 120_000 } });
  const trainables = new Map<string, TrainableModel>([
    [DETECTOR_MODEL, detector],
    [ACTION_PARAMS_MODEL, actionParamsTrainable({ epochs: 1 })],
  ]);

  it('detector - takes a component (x0 train detector --component demo-db: its adapter) or none (the shared base)', () => {
    expect(detector.perComponent).toBe(true);
    expect(checkJobRequest(trainables, { model: 'detector', component: 'demo-db' })).toBe('demo-db');
    expect(checkJobRequest(trainables, { model: 'detector', component: '' })).toBe('');
    expect(checkJobRequest(trainables, { model: 'detector' })).toBe('');
    expect(() => checkJobRequest(trainables, { model: 'detector', component: 'demo db' })).toThrow(`'component' must not contain " " (got "demo db")`);
  });

  it('a shared model or an unknown one - refused with the reason', () => {
    const shared = new Map<string, TrainableModel>([['shared', { ...detector, model: 'shared', perComponent: false }]]);
    expect(() => checkJobRequest(shared, { model: 'shared', component: 'web-1' })).toThrow("'component' model shared is shared: it has no per-component adapters");
    expect(() => checkJobRequest(trainables, { model: 'detector--demo-db', component: '' })).toThrow(
      `'model' is not trainable here (known: detector, action-params), got "detector--demo-db"`,
    );
  });
});

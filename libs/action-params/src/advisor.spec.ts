import * as tf from '@tensorflow/tfjs';
import { FailedPreconditionError } from '@x0/core';
import { loadAdapter, selectBackend } from '@x0/lora';
import { ActionParamsModels } from './advisor';
import { createBaseModel, suggestFrom } from './action-params-model';
import { loadShippedBase } from './shipped-model';
import { recovers, seededRandom, simulateTrajectories, type SyntheticComponent } from './synthetic';
import { evaluate, fineTuneAdapter } from './training';

const gentle: SyntheticComponent = { name: 'gentle', needs: { scale_up: 1, throttle: 90 } };
const stubborn: SyntheticComponent = { name: 'stubborn', needs: { scale_up: 5, throttle: 40 } };
const incident = { score: 0.8, severity: 2 };

describe('action params - per-component LoRA adapters', () => {
  let models: ActionParamsModels;
  let baseOnly: tf.LayersModel;
  const held = simulateTrajectories([stubborn], 100, 9, ['scale_up']);
  let adaptedLogLoss = Number.NaN;
  /** Each component's pick (scale_up, `incident`) after 60 outcomes, over six sets of outcomes. */
  const picks: Record<'gentle' | 'stubborn', number[]> = { gentle: [], stubborn: [] };

  beforeAll(async () => {
    await selectBackend();
    baseOnly = await loadShippedBase();
    models = new ActionParamsModels();
    await models.setBase(await loadShippedBase(), '1');
    for (let set = 0; set < 6; set++) {
      for (const c of [gentle, stubborn]) {
        const seed = set * 2 + (c === gentle ? 1 : 2);
        const { adapter } = await fineTuneAdapter(baseOnly, simulateTrajectories([c], 60, seed, ['scale_up']), { seed });
        const lora = await loadAdapter(baseOnly, adapter);
        picks[c.name as 'gentle' | 'stubborn'].push(suggestFrom(lora, 'scale_up', incident).value);
        if (c === stubborn && set === 0) adaptedLogLoss = evaluate(lora, held).logLoss;
        lora.dispose();
        // The first set's adapters serve in the tests below.
        if (set === 0) expect(await models.setAdapter(c.name, adapter, `${c.name}-1`)).toBe(true);
        else adapter.dispose();
      }
    }
  }, 120_000);

  afterAll(() => {
    models.dispose();
    baseOnly.dispose();
  });

  it('suggest - a component that needs bigger steps gets them; one that needs small steps is not over-scaled', () => {
    const base = suggestFrom(baseOnly, 'scale_up', incident).value;
    const g = models.suggest('gentle', 'scale_up', incident)!;
    const s = models.suggest('stubborn', 'scale_up', incident)!;
    expect(g).toMatchObject({ param: 'delta', params: { delta: String(g.value) }, version: '1', adapterVersion: 'gentle-1' });
    expect(s.adapterVersion).toBe('stubborn-1');
    // 60 noisy outcomes (5 % of steps fail whatever their size) do not always pin the gentle
    // component's need to the last step: at least half the sets do (4 of 6 here), and every
    // one picks a milder step than the shared base.
    expect(picks.stubborn).toEqual([5, 5, 5, 5, 5, 5]);
    expect(picks.gentle.filter((v) => v === 1).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...picks.gentle)).toBeLessThan(base);
    // The shared base picks one middle step for everyone: too much for one, too little for the other.
    expect(base).toBeGreaterThan(1);
    expect(base).toBeLessThan(5);
    expect(models.suggest('someone-else', 'scale_up', incident)!).toMatchObject({ value: base, adapterVersion: '' });
  });

  it('suggest - bounds (what the executor accepts) limit the pick: the stubborn component gets the strongest value allowed; bounds that leave nothing give no advice', () => {
    const s = models.suggest('stubborn', 'scale_up', incident, { max: 2 })!;
    expect(s.value).toBe(2);
    expect(s.curve.map((c) => c.value)).toEqual([1, 2]);
    // every curve is monotone (P never falls as the step grows), the pick's P is the model's own
    for (const c of ['gentle', 'stubborn']) {
      for (const action of ['scale_up', 'throttle']) {
        const sg = models.suggest(c, action, incident)!;
        expect(sg.curve.every((p, k) => k === 0 || p.probability >= sg.curve[k - 1].probability)).toBe(true);
        expect(sg.curve.find((p) => p.value === sg.value)!.probability).toBeCloseTo(sg.probability, 12);
      }
    }
    // the gentle one's pick, within them, is what it is without them
    expect(models.suggest('gentle', 'scale_up', incident, { min: 1, max: 3 })!.value).toBe(models.suggest('gentle', 'scale_up', incident)!.value);
    // throttle's grid runs mildest (95 %) first: bounds are on the value, whichever way it runs
    expect(models.suggest('stubborn', 'throttle', incident, { min: 70 })!.curve.map((c) => c.value)).toEqual([95, 90, 85, 80, 75, 70]);
    expect(models.suggest('stubborn', 'scale_up', incident, { min: 6 })).toBeUndefined();
    expect(() => suggestFrom(baseOnly, 'scale_up', incident, { bounds: { max: 0 } })).toThrow(`'bounds' leave no value of delta (grid 1..5), got {"max":0}`);
  });

  it('suggest - adapters recover both components where the base alone fails the stubborn one', () => {
    const rand = seededRandom(5);
    const rate = (c: SyntheticComponent, value: number) => {
      let ok = 0;
      for (let i = 0; i < 200; i++) if (recovers(c, 'scale_up', value, 2, rand)) ok++;
      return ok / 200;
    };
    const base = suggestFrom(baseOnly, 'scale_up', incident).value;
    expect(rate(stubborn, models.suggest('stubborn', 'scale_up', incident)!.value)).toBeGreaterThan(0.9);
    expect(rate(stubborn, base)).toBeLessThan(0.1);
    expect(rate(gentle, models.suggest('gentle', 'scale_up', incident)!.value)).toBeGreaterThan(0.9);
  });

  it('evaluate - the adapted model predicts held-out outcomes of its component better than the base', () => {
    const base = evaluate(baseOnly, held);
    expect(base.samples).toBe(100);
    expect(adaptedLogLoss).toBeLessThan(base.logLoss / 2);
  });

  it('suggest - actions without parameters and unknown components fall back cleanly', () => {
    expect(models.suggest('gentle', 'restart', incident)).toBeUndefined();
    expect(new ActionParamsModels().suggest('gentle', 'scale_up', incident)).toBeUndefined();
  });

  it('suggest - no tensor leaks after warm-up', () => {
    models.suggest('gentle', 'throttle', incident);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) models.suggest('stubborn', 'scale_up', incident);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('setAdapter - an adapter trained on another base is kept but not used', async () => {
    const other = createBaseModel(42);
    const { adapter } = await fineTuneAdapter(other, simulateTrajectories([stubborn], 10, 3, ['scale_up']), { epochs: 2 });
    other.dispose();
    const m = new ActionParamsModels();
    await m.setBase(await loadShippedBase(), '1');
    expect(await m.setAdapter('stubborn', adapter, 'x')).toBe(false);
    expect(m.suggest('stubborn', 'scale_up', incident)!.adapterVersion).toBe('');
    m.dispose();
  });

  it('loadAdapter - the signature check is what keeps a foreign adapter out', async () => {
    const other = createBaseModel(43);
    const { adapter } = await fineTuneAdapter(other, simulateTrajectories([gentle], 5, 4, ['scale_up']), { epochs: 1 });
    await expect(loadAdapter(baseOnly, adapter)).rejects.toThrow(FailedPreconditionError);
    adapter.dispose();
    other.dispose();
  });
});

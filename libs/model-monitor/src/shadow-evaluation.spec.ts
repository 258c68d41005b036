import { evaluateShadow, type LabelledSample, type ShadowModel } from './shadow-evaluation';

/** 100 samples: input = the true anomaly score in [0,1); label = input >= 0.8 (20 anomalies). */
const samples: LabelledSample<number>[] = Array.from({ length: 100 }, (_, i) => ({ input: i / 100, label: i >= 80 }));

/** A model that flags inputs >= cut: cut 0.8 is perfect; other cuts make known mistakes. */
function cutModel(name: string, cut: number): ShadowModel<number> {
  return { name, threshold: 0.5, score: (xs) => xs.map((x) => (x >= cut ? 1 : 0)) };
}

describe('evaluateShadow', () => {
  it('promote - a challenger better by at least the margin is promoted, with the numbers in the reason', async () => {
    // champion cut 0.7: tp 20, fp 10 → f1 = 40/50 = 0.8; challenger cut 0.8: f1 = 1
    const result = await evaluateShadow({ champion: cutModel('v1', 0.7), challenger: cutModel('v2', 0.8), samples });
    expect(result).toMatchObject({ decision: 'promote', metric: 'f1', margin: 0.02, samples: 100 });
    expect(result.champion).toMatchObject({ tp: 20, fp: 10, tn: 70, fn: 0, f1: 0.8 });
    expect(result.challenger!.f1).toBe(1);
    expect(result.reason).toBe('challenger v2 f1 1 >= champion v1 f1 0.8 + margin 0.02 over 100 labelled samples');
  });

  it('keep - a challenger better by less than the margin is kept out', async () => {
    // champion cut 0.79: tp 20, fp 1 → f1 = 40/41 = 0.9756; challenger perfect: +0.0244 < 0.05
    const result = await evaluateShadow({ champion: cutModel('v1', 0.79), challenger: cutModel('v2', 0.8), samples, margin: 0.05 });
    expect(result.decision).toBe('keep');
    expect(result.reason).toBe('challenger v2 f1 1 < champion v1 f1 0.976 + margin 0.05 over 100 labelled samples');
  });

  it('margin - a challenger exactly at the margin is promoted despite floating-point rounding', async () => {
    // champion cut 0.6: 20 false alarms → accuracy 0.8; challenger cut 0.62: 18 → 0.82; 0.8 + 0.02 = 0.8200000000000001
    const result = await evaluateShadow({ champion: cutModel('v1', 0.6), challenger: cutModel('v2', 0.62), samples, metric: 'accuracy' });
    expect([result.champion!.accuracy, result.challenger!.accuracy]).toEqual([0.8, 0.82]);
    expect(result.decision).toBe('promote');
  });

  it('keep - a worse challenger is kept out; accuracy can be chosen as the metric', async () => {
    const result = await evaluateShadow({ champion: cutModel('v1', 0.8), challenger: cutModel('v2', 0.5), samples, metric: 'accuracy' });
    expect(result.decision).toBe('keep');
    expect(result.challenger!.accuracy).toBe(0.7);
    expect(result.reason).toBe('challenger v2 accuracy 0.7 < champion v1 accuracy 1 + margin 0.02 over 100 labelled samples');
  });

  it('keep - too few samples, an undefined metric, or a failing scorer never promote', async () => {
    const few = await evaluateShadow({ champion: cutModel('v1', 0.7), challenger: cutModel('v2', 0.8), samples: samples.slice(0, 49) });
    expect(few).toMatchObject({ decision: 'keep', reason: 'only 49 labelled samples, at least 50 are needed to compare f1', champion: null });

    const calm = await evaluateShadow({ champion: cutModel('v1', 0.7), challenger: cutModel('v2', 0.8), samples: samples.slice(0, 60) });
    expect(calm).toMatchObject({ decision: 'keep', reason: 'f1 is undefined on this window of 60 samples (0 confirmed anomalies)' });

    const broken: ShadowModel<number> = { name: 'v3', threshold: 0.5, score: async () => Promise.reject(new Error('weights missing')) };
    const failed = await evaluateShadow({ champion: cutModel('v1', 0.7), challenger: broken, samples });
    expect(failed).toMatchObject({ decision: 'keep', reason: 'challenger v3 failed to score: weights missing' });
  });

  it('arguments - a negative margin or a scorer returning the wrong count is an error', async () => {
    await expect(evaluateShadow({ champion: cutModel('v1', 0.7), challenger: cutModel('v2', 0.8), samples, margin: -1 })).rejects.toThrow(
      "'margin' must be a finite number >= 0, got -1",
    );
    const short: ShadowModel<number> = { name: 'v4', threshold: 0.5, score: () => [1] };
    await expect(evaluateShadow({ champion: cutModel('v1', 0.7), challenger: short, samples })).rejects.toThrow(
      "'challenger.score' returned 1 scores for 100 inputs",
    );
  });
});

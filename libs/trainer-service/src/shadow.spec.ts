import { decideShadow } from './shadow';

const scores = (champion: number, challenger: number, samples = 100) => ({ metric: 'huber', champion, challenger, samples, championVersion: '3' });

describe('decideShadow', () => {
  it('promote - only when the loss is at least the margin below the champion', () => {
    expect(decideShadow(scores(0.4, 0.38), { margin: 0.05, minSamples: 50 })).toEqual({
      decision: 'promote',
      improvement: expect.closeTo(0.05, 9),
      reason: 'challenger huber 0.38 beats champion 3 0.4 by the margin of 5% (improvement 5%) on 100 held-out samples',
    });
    expect(decideShadow(scores(0.4, 0.381), { margin: 0.05, minSamples: 50 }).decision).toBe('keep');
  });

  it('keep - a worse challenger, too few samples or a broken loss keep the champion, with the reason', () => {
    expect(decideShadow(scores(0.4, 0.5), { margin: 0.05, minSamples: 50 }).reason).toBe(
      'challenger huber 0.5 does not beat champion 3 0.4 by the margin of 5% (regression 25%) on 100 held-out samples',
    );
    expect(decideShadow(scores(0.4, 0.1, 20), { margin: 0.05, minSamples: 50 })).toEqual({ decision: 'keep', improvement: 0, reason: 'only 20 held-out samples, at least 50 are needed to compare huber' });
    expect(decideShadow(scores(Number.NaN, 0.1), { margin: 0.05, minSamples: 50 }).reason).toBe('huber is not finite (champion NaN, challenger 0.1)');
    expect(decideShadow({ ...scores(0.4, 0.1), championVersion: '' }, { margin: 0, minSamples: 1 }).reason).toMatch(/ beats the base alone 0\.4 /);
    expect(() => decideShadow(scores(0.4, 0.1), { margin: 1, minSamples: 1 })).toThrow("'margin' must be in [0, 1), got 1");
  });
});

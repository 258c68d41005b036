import { formatSpan, formatUtc } from './durations';

describe('formatSpan', () => {
  it('two units at most, the smaller zero-padded; below a second and negative spans print as 0s', () => {
    const MIN = 60_000;
    expect([-5, 999, 45_000, 60_000, 13 * MIN + 5_000, 59 * MIN + 59_999].map(formatSpan)).toEqual(['0s', '0s', '45s', '1m00s', '13m05s', '59m59s']);
    expect([60 * MIN, 2 * 60 * MIN + 5 * MIN, 24 * 60 * MIN - 1, 3 * 24 * 60 * MIN + 4 * 60 * MIN + 59 * MIN].map(formatSpan)).toEqual(['1h00m', '2h05m', '23h59m', '3d4h']);
  });
});

describe('formatUtc', () => {
  it('UTC to the second, - for none', () => {
    expect([Date.UTC(2026, 10, 27, 7, 11, 54, 999), 0, -1].map(formatUtc)).toEqual(['2026-11-27 07:11:54', '-', '-']);
  });
});

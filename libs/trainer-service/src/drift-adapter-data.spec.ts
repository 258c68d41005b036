import { driftAdapterData } from './performance-monitor';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('driftAdapterData - a drifting component’s adapter learns the new regime when there is enough of it', () => {
  const nowMs = Date.UTC(2026, 10, 28, 3, 0, 0);

  it('a fast component: data from the alert on, starting half a window later (or the settle time, or when its rows are there, whichever is latest)', () => {
    expect(driftAdapterData({ nowMs, windowMs: HOUR, settleMs: 5 * MIN, rowsTakeMs: 10 * MIN })).toEqual({ settleMs: 30 * MIN, dataSinceMs: nowMs });
    expect(driftAdapterData({ nowMs, windowMs: HOUR, settleMs: 5 * MIN, rowsTakeMs: 45 * MIN })).toEqual({ settleMs: 45 * MIN, dataSinceMs: nowMs });
    expect(driftAdapterData({ nowMs, windowMs: HOUR, settleMs: 24 * HOUR, rowsTakeMs: 10 * MIN })).toEqual({ settleMs: 24 * HOUR, dataSinceMs: nowMs });
  });

  it('a component too slow to publish the rows within a window, or of unknown rate: the whole window', () => {
    expect(driftAdapterData({ nowMs, windowMs: HOUR, settleMs: 5 * MIN, rowsTakeMs: 2 * HOUR })).toEqual({ settleMs: 30 * MIN });
    expect(driftAdapterData({ nowMs, windowMs: HOUR, settleMs: 5 * MIN, rowsTakeMs: undefined })).toEqual({ settleMs: 30 * MIN });
  });
});

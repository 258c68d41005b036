import { IncidentWindows } from './incident-windows';

const status = (timeMs: number, openAnomalyId: string, component = 'db-1') => ({ component, timeMs, openAnomalyId });

describe('IncidentWindows', () => {
  it('open - from the first status naming an open anomaly until the first naming none, with the margin on both sides', () => {
    const w = new IncidentWindows({ keepMs: 3_600_000, marginMs: 1_000 });
    w.observe(status(10_000, ''));
    expect(w.isOpen('db-1')).toBe(false);
    w.observe(status(20_000, 'an_1'));
    w.observe(status(21_000, 'an_1'));
    expect(w.isOpen('db-1')).toBe(true);
    expect([18_999, 19_000, 25_000, 1e12].map((t) => w.covers('db-1', t))).toEqual([false, true, true, true]);
    expect(w.covers('db-2', 25_000)).toBe(false);

    w.observe(status(30_000, ''));
    expect(w.isOpen('db-1')).toBe(false);
    expect([18_999, 19_000, 30_000, 31_000, 31_001].map((t) => w.covers('db-1', t))).toEqual([false, true, true, true, false]);
  });

  it('keep - a closed incident is forgotten keepMs after it ended, and at most maxPerComponent are kept', () => {
    const w = new IncidentWindows({ keepMs: 60_000, marginMs: 0, maxPerComponent: 2 });
    w.observe(status(1_000, 'an_1'));
    w.observe(status(2_000, ''));
    w.observe(status(100_000, 'an_2'));
    w.observe(status(101_000, ''));
    // The first ended more than keepMs before the second did.
    expect(w.covers('db-1', 1_500)).toBe(false);
    expect(w.covers('db-1', 100_500)).toBe(true);
    for (const t of [110_000, 120_000]) {
      w.observe(status(t, `an_${t}`));
      w.observe(status(t + 1_000, ''));
    }
    expect([100_500, 110_500, 120_500].map((t) => w.covers('db-1', t))).toEqual([false, true, true]);
  });

  it('remember - spans from elsewhere are covered like closed incidents; a status that names the incident opens it again', () => {
    const w = new IncidentWindows({ keepMs: 3_600_000, marginMs: 1_000, maxPerComponent: 2 });
    w.remember([
      { component: 'db-1', startMs: 10_000, endMs: 20_000 },
      { component: 'db-1', startMs: 50_000, endMs: 40_000 }, // ends before it starts: ignored
      { component: '', startMs: 10_000, endMs: 20_000 },
    ]);
    expect([8_999, 9_000, 21_000, 21_001].map((t) => w.covers('db-1', t))).toEqual([false, true, true, false]);
    expect([w.covers('db-2', 15_000), w.isOpen('db-1')]).toEqual([false, false]);
    // At most maxPerComponent closed spans, the newest.
    w.remember([{ component: 'db-1', startMs: 70_000, endMs: 71_000 }, { component: 'db-1', startMs: 60_000, endMs: 61_000 }]);
    expect([15_000, 60_500, 70_500].map((t) => w.covers('db-1', t))).toEqual([false, true, true]);
    w.observe(status(80_000, 'an_1'));
    expect([w.isOpen('db-1'), w.covers('db-1', 1e12)]).toEqual([true, true]);
  });

  it('maxIncidentMs - an incident counts as one for that long from its start (in status time); after it, the component is judged again', () => {
    const w = new IncidentWindows({ keepMs: 3_600_000, marginMs: 1_000, maxIncidentMs: 60_000 });
    w.observe(status(100_000, 'an_1'));
    w.observe(status(159_999, 'an_1'));
    expect(w.isOpen('db-1')).toBe(true);
    w.observe(status(160_000, 'an_1'));
    expect(w.isOpen('db-1')).toBe(false);
    expect([98_999, 99_000, 159_999, 160_000].map((t) => w.covers('db-1', t))).toEqual([false, true, true, false]);
    // Closed, and remembered from the events: the same limit (plus the margin after it).
    w.observe(status(500_000, ''));
    expect([99_000, 161_000, 161_001, 400_000].map((t) => w.covers('db-1', t))).toEqual([true, true, false, false]);
    w.remember([{ component: 'db-2', startMs: 0, endMs: 1_000_000 }]);
    expect([30_000, 61_000, 61_001].map((t) => w.covers('db-2', t))).toEqual([true, true, false]);
  });

  it('remember then status - a remembered incident still going on is continued by the status that names it, and maxIncidentMs counts from its start (not from a restart)', () => {
    const w = new IncidentWindows({ keepMs: 3_600_000, marginMs: 0, maxIncidentMs: 60_000 });
    w.remember([{ component: 'db-1', startMs: 10_000, endMs: 200_000 }, { component: 'db-1', startMs: 1_000, endMs: 2_000 }]);
    w.observe(status(150_000, 'an_9'));
    // Open since 10 s, so past the limit at 150 s: judged again.
    expect([w.isOpen('db-1'), w.covers('db-1', 60_000), w.covers('db-1', 70_001), w.covers('db-1', 150_000), w.covers('db-1', 1_500)]).toEqual([false, true, false, false, true]);
    // A status naming an incident no remembered span reaches opens it from that status.
    const fresh = new IncidentWindows({ keepMs: 3_600_000, marginMs: 0, maxIncidentMs: 60_000 });
    fresh.remember([{ component: 'db-1', startMs: 10_000, endMs: 100_000 }]);
    fresh.observe(status(150_000, 'an_9'));
    expect([fresh.isOpen('db-1'), fresh.covers('db-1', 150_000), fresh.covers('db-1', 50_000)]).toEqual([true, true, true]);
  });

  it('bad - a status without a component or time is ignored', () => {
    const w = new IncidentWindows({ keepMs: 60_000, marginMs: 0 });
    w.observe(status(0, 'an_1'));
    w.observe({ component: '', timeMs: 5, openAnomalyId: 'an_1' });
    expect([w.isOpen('db-1'), w.isOpen('')]).toEqual([false, false]);
  });
});

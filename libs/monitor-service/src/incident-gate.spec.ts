import { IncidentGate } from './incident-gate';

describe('incident gate', () => {
  const gate = () => new IncidentGate({ minSeverity: 'medium', openSamples: 1, clearSamples: 3, realertMs: 1000 });

  it('observe - low severity stays quiet', () => {
    expect(gate().observe('c', 'low', 0)).toEqual({ type: 'quiet' });
  });

  it('observe - opens once, stays ongoing, clears after calm samples', () => {
    const g = gate();
    expect(g.observe('c', 'high', 0)).toEqual({ type: 'open' });
    g.opened('c', 'an_1', 0);
    expect(g.observe('c', 'medium', 100)).toEqual({ type: 'ongoing', anomalyId: 'an_1' });
    expect(g.observe('c', 'none', 200)).toEqual({ type: 'ongoing', anomalyId: 'an_1' });
    expect(g.observe('c', 'low', 300)).toEqual({ type: 'ongoing', anomalyId: 'an_1' });
    expect(g.observe('c', 'none', 400)).toEqual({ type: 'cleared', anomalyId: 'an_1' });
    expect(g.openAnomaly('c')).toBe('');
    expect(g.observe('c', 'high', 500)).toEqual({ type: 'open' });
  });

  it('observe - an alarm resets the calm count', () => {
    const g = gate();
    g.observe('c', 'high', 0);
    g.opened('c', 'an_1', 0);
    g.observe('c', 'none', 1);
    g.observe('c', 'none', 2);
    g.observe('c', 'high', 3);
    expect(g.observe('c', 'none', 4).type).toBe('ongoing');
  });

  it('observe - a long incident is announced again after realertMs', () => {
    const g = gate();
    g.observe('c', 'high', 0);
    g.opened('c', 'an_1', 0);
    expect(g.observe('c', 'high', 999).type).toBe('ongoing');
    expect(g.observe('c', 'high', 1000)).toEqual({ type: 'realert', previousAnomalyId: 'an_1' });
    g.opened('c', 'an_2', 1000);
    expect(g.openAnomaly('c')).toBe('an_2');
  });

  it('observe - a lone spike does not open an incident when openSamples is 2', () => {
    const g = new IncidentGate({ minSeverity: 'medium', openSamples: 2, clearSamples: 3, realertMs: 1000 });
    expect(g.observe('c', 'high', 0)).toEqual({ type: 'quiet' });
    expect(g.observe('c', 'none', 1)).toEqual({ type: 'quiet' });
    expect(g.observe('c', 'high', 2)).toEqual({ type: 'quiet' });
    expect(g.observe('c', 'medium', 3)).toEqual({ type: 'open' });
  });

  it('components are independent', () => {
    const g = gate();
    g.observe('a', 'high', 0);
    g.opened('a', 'an_a', 0);
    expect(g.observe('b', 'none', 0)).toEqual({ type: 'quiet' });
    expect(g.openCount).toBe(1);
  });
});

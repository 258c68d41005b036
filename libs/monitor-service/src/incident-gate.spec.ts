import { IncidentGate, type GateSample, type MetricBaseline } from './incident-gate';

const BASE: Record<string, MetricBaseline> = { cpu: { mean: 0.3, std: 0.02 }, lat: { mean: 80, std: 5 } };
const baseline = (m: string) => BASE[m];

/** A sample: severity from the detector, and metric values (the first one listed is the top contributor). */
function sample(severity: GateSample['severity'], timeMs: number, values: Record<string, number>): GateSample {
  return {
    severity,
    timeMs,
    metrics: Object.entries(values).map(([metric, value]) => ({ metric, value, score: severity === 'none' ? 0.1 : 0.9 })),
    values: new Map(Object.entries(values)),
  };
}

const gate = (over = {}) => new IncidentGate({ minSeverity: 'medium', openSamples: 2, clearSamples: 3, realertMs: 1000, deviationSigmas: 3, extremeSigmas: 0, ...over });

describe('incident gate', () => {
  it('low severity and normal values stay quiet', () => {
    expect(gate().observe('c', sample('low', 0, { cpu: 0.31 }), baseline)).toEqual({ type: 'quiet' });
  });

  it('opens when the deviation persists even though the detector stopped alarming (it adapted)', () => {
    const g = gate();
    expect(g.observe('c', sample('high', 0, { cpu: 0.97 }), baseline)).toEqual({ type: 'quiet' });
    expect(g.observe('c', sample('none', 1, { cpu: 0.97 }), baseline)).toEqual({ type: 'open', severity: 'high' });
    g.opened('c', 'an_1', 1);
    expect(g.openAnomaly('c')).toBe('an_1');
    expect(g.observe('c', sample('none', 2, { cpu: 0.96 }), baseline)).toEqual({ type: 'ongoing', anomalyId: 'an_1' });
    expect(g.openCount).toBe(1);
  });

  it('a lone spike does not open an incident', () => {
    const g = gate();
    expect(g.observe('c', sample('high', 0, { cpu: 0.97 }), baseline)).toEqual({ type: 'quiet' });
    expect(g.observe('c', sample('none', 1, { cpu: 0.31 }), baseline)).toEqual({ type: 'quiet' });
    expect(g.observe('c', sample('none', 2, { cpu: 0.97 }), baseline)).toEqual({ type: 'quiet' });
  });

  it('clears after calm samples back within the old normal, or on the good side of it', () => {
    const g = gate();
    g.observe('c', sample('high', 0, { cpu: 0.97 }), baseline);
    g.observe('c', sample('high', 1, { cpu: 0.97 }), baseline);
    g.opened('c', 'an_1', 1);
    expect(g.observe('c', sample('none', 2, { cpu: 0.31 }), baseline).type).toBe('ongoing');
    expect(g.observe('c', sample('none', 3, { cpu: 0.97 }), baseline).type).toBe('ongoing'); // relapse resets
    expect(g.observe('c', sample('none', 4, { cpu: 0.2 }), baseline).type).toBe('ongoing'); // lower than before: fine
    expect(g.observe('c', sample('none', 5, { cpu: 0.29 }), baseline).type).toBe('ongoing');
    expect(g.observe('c', sample('none', 6, { cpu: 0.3 }), baseline)).toEqual({ type: 'cleared', anomalyId: 'an_1' });
    expect(g.openAnomaly('c')).toBe('');
  });

  it('a metric that fell is judged downwards', () => {
    const g = gate({ openSamples: 1 });
    expect(g.observe('c', sample('high', 0, { lat: 20 }), baseline).type).toBe('open');
    g.opened('c', 'an_1', 0);
    expect(g.observe('c', sample('none', 1, { lat: 30 }), baseline).type).toBe('ongoing');
    expect(g.observe('c', sample('none', 2, { lat: 200 }), baseline).type).toBe('ongoing'); // higher is not "still down"
    expect(g.observe('c', sample('none', 3, { lat: 82 }), baseline).type).toBe('ongoing');
    expect(g.observe('c', sample('none', 4, { lat: 79 }), baseline).type).toBe('cleared');
  });

  it('a long incident is announced again after realertMs', () => {
    const g = gate({ openSamples: 1 });
    g.observe('c', sample('high', 0, { cpu: 0.9 }), baseline);
    g.opened('c', 'an_1', 0);
    expect(g.observe('c', sample('none', 999, { cpu: 0.9 }), baseline).type).toBe('ongoing');
    expect(g.observe('c', sample('none', 1000, { cpu: 0.9 }), baseline)).toEqual({ type: 'realert', previousAnomalyId: 'an_1', incidentId: 'an_1', incidentStartMs: 0, announcement: 2, severity: 'high' });
    g.opened('c', 'an_2', 1000);
    expect(g.openAnomaly('c')).toBe('an_2');
  });

  it('incident - the first announcement is its own incident (announcement 1); a re-announcement keeps its id and start and counts on; a new incident after one cleared has a new id', () => {
    const g = gate({ openSamples: 1 });
    expect(g.observe('c', sample('high', 10, { cpu: 0.9 }), baseline)).toEqual({ type: 'open', severity: 'high' });
    g.opened('c', 'an_1', 10);
    expect(g.incident('c')).toMatchObject({ anomalyId: 'an_1', incidentId: 'an_1', incidentStartMs: 10, announcement: 1 });
    expect(g.observe('c', sample('none', 1010, { cpu: 0.9 }), baseline)).toEqual({
      type: 'realert',
      previousAnomalyId: 'an_1',
      incidentId: 'an_1',
      incidentStartMs: 10,
      announcement: 2,
      severity: 'high',
    });
    g.opened('c', 'an_2', 1010);
    expect(g.incident('c')).toMatchObject({ anomalyId: 'an_2', incidentId: 'an_1', incidentStartMs: 10, announcement: 2, lastAlertMs: 1010 });
    expect(g.openAnomaly('c')).toBe('an_2'); // (the latest announcement, as ComponentHealth.open_anomaly_id)
    expect(g.openIncident('c')).toBe('an_1'); // (the incident, as ComponentHealth.open_incident_id)
    expect(g.observe('c', sample('none', 2010, { cpu: 0.9 }), baseline)).toMatchObject({ type: 'realert', previousAnomalyId: 'an_2', incidentId: 'an_1', incidentStartMs: 10, announcement: 3 });
    g.opened('c', 'an_3', 2010);
    expect(g.incident('c')).toMatchObject({ anomalyId: 'an_3', incidentId: 'an_1', incidentStartMs: 10, announcement: 3 });
    for (let t = 2011; t < 2013; t++) g.observe('c', sample('none', t, { cpu: 0.3 }), baseline);
    expect(g.observe('c', sample('none', 2013, { cpu: 0.3 }), baseline)).toEqual({ type: 'cleared', anomalyId: 'an_3' });
    expect(g.openIncident('c')).toBe('');
    // the same fault again: a new incident, counted from 1
    expect(g.observe('c', sample('high', 3000, { cpu: 0.9 }), baseline)).toEqual({ type: 'open', severity: 'high' });
    g.opened('c', 'an_4', 3000);
    expect(g.incident('c')).toMatchObject({ anomalyId: 'an_4', incidentId: 'an_4', incidentStartMs: 3000, announcement: 1 });
    expect(g.openIncident('c')).toBe('an_4');
    expect(g.observe('c', sample('none', 4000, { cpu: 0.9 }), baseline)).toMatchObject({ type: 'realert', incidentId: 'an_4', incidentStartMs: 3000, announcement: 2 });
  });

  it('without a baseline for the metric it falls back to the detector severity', () => {
    const g = gate({ openSamples: 2 });
    g.observe('c', sample('high', 0, { unknown: 5 }), baseline);
    expect(g.observe('c', sample('none', 1, { unknown: 5 }), baseline)).toEqual({ type: 'quiet' });
    g.observe('c', sample('high', 2, { unknown: 5 }), baseline);
    expect(g.observe('c', sample('high', 3, { unknown: 5 }), baseline)).toEqual({ type: 'open', severity: 'high' });
  });

  it('backstop: a gross deviation opens an incident as high even when the detector scores it low', () => {
    const g = gate({ extremeSigmas: 8 });
    expect(g.observe('c', sample('low', 0, { cpu: 0.97 }), baseline)).toEqual({ type: 'quiet' });
    expect(g.observe('c', sample('none', 1, { cpu: 0.97 }), baseline)).toEqual({ type: 'open', severity: 'high' });
    const off = gate({ extremeSigmas: 0 });
    expect(off.observe('c', sample('low', 0, { cpu: 0.97 }), baseline)).toEqual({ type: 'quiet' });
    expect(off.observe('c', sample('none', 1, { cpu: 0.97 }), baseline)).toEqual({ type: 'quiet' });
  });

  it('the opening severity is the worst seen in the episode', () => {
    const g = gate();
    g.observe('c', sample('medium', 0, { cpu: 0.97 }), baseline);
    expect(g.observe('c', sample('high', 1, { cpu: 0.97 }), baseline)).toEqual({ type: 'open', severity: 'high' });
  });

  it('components are independent', () => {
    const g = gate({ openSamples: 1 });
    g.observe('a', sample('high', 0, { cpu: 0.9 }), baseline);
    g.opened('a', 'an_a', 0);
    expect(g.observe('b', sample('none', 0, { cpu: 0.3 }), baseline)).toEqual({ type: 'quiet' });
    expect(g.openCount).toBe(1);
  });

  it('resume - an open incident carried to a new gate goes on against its old normal, re-alerts on time and clears', () => {
    const g = gate();
    expect(g.incident('c')).toBeUndefined();
    g.observe('c', sample('high', 0, { cpu: 0.97 }), baseline);
    g.observe('c', sample('none', 1, { cpu: 0.97 }), baseline);
    expect(g.incident('c')).toBeUndefined(); // not announced yet: nothing to carry on
    g.opened('c', 'an_1', 1);
    const open = g.incident('c')!;
    expect(open).toEqual({
      anomalyId: 'an_1',
      incidentId: 'an_1',
      incidentStartMs: 1,
      announcement: 1,
      severity: 'high',
      lastAlertMs: 1,
      tracked: [{ metric: 'cpu', mean: 0.3, std: 0.02, tolerance: expect.closeTo(0.06, 9), direction: 1 }],
    });

    // A restarted monitor: its detector may have adapted to the fault (no alarm, no baseline asked).
    const next = gate();
    next.resume('c', JSON.parse(JSON.stringify(open)));
    const noBaseline = () => undefined;
    expect(next.openCount).toBe(1);
    expect(next.openAnomaly('c')).toBe('an_1');
    expect(next.observe('c', sample('none', 2, { cpu: 0.96 }), noBaseline)).toEqual({ type: 'ongoing', anomalyId: 'an_1' });
    // … as the same incident, counted on
    expect(next.observe('c', sample('none', 1001, { cpu: 0.96 }), noBaseline)).toEqual({ type: 'realert', previousAnomalyId: 'an_1', incidentId: 'an_1', incidentStartMs: 1, announcement: 2, severity: 'high' });
    next.opened('c', 'an_2', 1001);
    expect(next.incident('c')).toMatchObject({ anomalyId: 'an_2', incidentId: 'an_1', incidentStartMs: 1, announcement: 2 });
    for (let t = 1002; t < 1004; t++) expect(next.observe('c', sample('none', t, { cpu: 0.31 }), noBaseline)).toEqual({ type: 'ongoing', anomalyId: 'an_2' });
    expect(next.observe('c', sample('none', 1004, { cpu: 0.31 }), noBaseline)).toEqual({ type: 'cleared', anomalyId: 'an_2' });
    expect(next.incident('c')).toBeUndefined();
  });

  it('resume - an incident re-announced before the restart counts on from its stored announcement, under its first id', () => {
    const g = gate();
    g.resume('c', { anomalyId: 'an_3', incidentId: 'an_1', incidentStartMs: 1, announcement: 3, severity: 'high', lastAlertMs: 2001, tracked: [{ metric: 'cpu', mean: 0.3, std: 0.02, tolerance: 0.06, direction: 1 }] });
    expect(g.openAnomaly('c')).toBe('an_3');
    expect(g.observe('c', sample('none', 3001, { cpu: 0.9 }), baseline)).toEqual({ type: 'realert', previousAnomalyId: 'an_3', incidentId: 'an_1', incidentStartMs: 1, announcement: 4, severity: 'high' });
    g.opened('c', 'an_4', 3001);
    expect(g.incident('c')).toMatchObject({ anomalyId: 'an_4', incidentId: 'an_1', incidentStartMs: 1, announcement: 4, lastAlertMs: 3001 });
  });

  it('onsetBaselines - the normal frozen when the trouble started, while the incident lasts', () => {
    const g = gate();
    expect(g.onsetBaselines('c')).toEqual(new Map());
    g.observe('c', sample('high', 0, { cpu: 0.97, lat: 200 }), baseline);
    g.observe('c', sample('none', 1, { cpu: 0.97, lat: 200 }), baseline);
    g.opened('c', 'an_1', 1);
    // The detector's baseline moves on during the incident; the onset normal does not.
    const drifted = (m: string) => ({ mean: BASE[m].mean * 2, std: BASE[m].std * 10 });
    g.observe('c', sample('none', 1001, { cpu: 0.97, lat: 200 }), drifted);
    expect(g.onsetBaselines('c')).toEqual(new Map([['cpu', { mean: 0.3, std: 0.02 }], ['lat', { mean: 80, std: 5 }]]));
    for (let t = 1002; t < 1005; t++) g.observe('c', sample('none', t, { cpu: 0.3, lat: 80 }), baseline);
    expect(g.onsetBaselines('c')).toEqual(new Map());
  });

  it('onsetBaselines - an incident stored without the spread uses tolerance / deviationSigmas', () => {
    const g = gate();
    g.resume('c', { anomalyId: 'an_1', incidentId: 'an_1', incidentStartMs: 1, announcement: 1, severity: 'high', lastAlertMs: 1, tracked: [{ metric: 'cpu', mean: 0.3, tolerance: 0.06, direction: 1 }] });
    expect(g.onsetBaselines('c').get('cpu')).toEqual({ mean: 0.3, std: expect.closeTo(0.02, 9) });
  });
});

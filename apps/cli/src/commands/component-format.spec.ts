import { Anomaly, ComponentHealth, ComponentStatus, Severity } from '@x0/contracts';
import { shadowReason } from './component';
import { formatComponent, openIncident, topMetrics, type ComponentView } from './component-format';
import { queueAnnouncement } from './component-testing';

const NOW = Date.parse('2026-11-27T19:30:00Z');
const START = NOW - 13 * 60_000 - 5000;

const status = ComponentStatus.fromPartial({
  component: 'demo-queue',
  kind: 'queue',
  phase: 'scoring',
  samplesSeen: 1234,
  lastScore: 0.931,
  lastSeverity: Severity.SEVERITY_HIGH,
  lastSampleMs: NOW - 2000,
  lastAnomalyMs: NOW - 12_000,
  metrics: [
    { metric: 'rps', lastValue: 28.4, mean: 505.2, stddev: 11.7, samples: 1234 },
    { metric: 'error_rate', lastValue: 0.405, mean: 0.00512, stddev: 0.0013, samples: 1234 },
  ],
});

/** An announcement of incident an_1 (announcement 1 is an_1 itself). */
const announcement = (n: number, timeMs: number) =>
  queueAnnouncement('', n, timeMs, START, [
    { metric: 'cpu', value: 0.27, expected: 0.25, score: 0.1 },
    { metric: 'error_rate', value: 0.405, expected: 0.005, score: 1 },
    { metric: 'rps', value: 28, expected: 505, score: 0.98 },
    { metric: 'queue_depth', value: 50, expected: 41, score: 0.3 },
  ]);

const live = (openAnomalyId: string) => ComponentHealth.fromPartial({ component: 'demo-queue', timeMs: NOW - 1000, score: 0.93, severity: Severity.SEVERITY_HIGH, phase: 'scoring', openAnomalyId });

describe('component format', () => {
  it('openIncident - the live status names the latest announcement; the incident is the one it announces, with its start and count', () => {
    const latest = announcement(14, NOW - 12_000);
    const other = Anomaly.fromPartial({ meta: { id: 'an_0', component: 'demo-queue', timeMs: START - 3_600_000 }, incidentId: 'an_0', announcement: 1 });
    const incident = openIncident('an_14', [latest, announcement(13, NOW - 42_000), other], [latest, announcement(13, NOW - 42_000), announcement(1, START)]);
    expect(incident).toMatchObject({ incidentId: 'an_1', startMs: START, announcement: 14, latestAnomalyId: 'an_14', listed: 3 });
    expect(incident.latest?.meta?.id).toBe('an_14');
  });

  it('openIncident - an announcement the monitor no longer lists (restarted since): the anomaly id stands for the incident, start and count unknown', () => {
    expect(openIncident('an_9', [], [])).toEqual({ incidentId: 'an_9', startMs: 0, announcement: 0, latestAnomalyId: 'an_9', latest: null, listed: 0 });
  });

  it('openIncident - an anomaly from an older monitor (no incident fields) is its own incident, announcement 1, from its time', () => {
    const old = Anomaly.fromPartial({ meta: { id: 'an_7', component: 'demo-queue', timeMs: START } });
    expect(openIncident('an_7', [old], [old])).toMatchObject({ incidentId: 'an_7', startMs: START, announcement: 1, listed: 1 });
  });

  it('topMetrics - the metrics that moved most, by their score, at most three', () => {
    expect(topMetrics(announcement(1, START).metrics)).toEqual([
      'error_rate 0.405 (expected 0.00500, score 1.00)',
      'rps 28.00 (expected 505, score 0.98)',
      'queue_depth 50.00 (expected 41.00, score 0.30)',
    ]);
  });

  it('formatComponent - an open incident: its id, start, how long open, announcements, the latest one and its top metrics; then the metrics table', () => {
    const latest = announcement(14, NOW - 12_000);
    const view: ComponentView = { status, live: live('an_14'), incident: openIncident('an_14', [latest], [latest]) };
    expect(formatComponent(view, NOW)).toBe(
      [
        'component    demo-queue (queue)',
        'phase        scoring, 1234 sample(s) seen',
        'last sample  2026-11-27 19:29:58 UTC (2s ago)',
        'last score   0.931, severity high',
        'forecaster   shared',
        'incident     OPEN an_1, started 2026-11-27 19:16:55 UTC, open 13m05s',
        '             14 announcement(s); latest an_14 12s ago (high, score 0.930)',
        'top metrics  error_rate 0.405 (expected 0.00500, score 1.00); rps 28.00 (expected 505, score 0.98); queue_depth 50.00 (expected 41.00, score 0.30)',
        'live status  2026-11-27 19:29:59 UTC: score 0.930, severity high, scoring',
        '',
        'METRIC      LAST   MEAN     STDDEV   SAMPLES',
        'error_rate  0.405  0.00512  0.00130  1234',
        'rps         28.40  505      11.70    1234',
      ].join('\n'),
    );
  });

  it('formatComponent - no open incident: says so, with when the last anomaly was', () => {
    const out = formatComponent({ status, live: live(''), incident: null }, NOW);
    expect(out).toContain('\nincident     no open incident (last anomaly 2026-11-27 19:29:48 UTC (12s ago))\n');
    expect(out).not.toContain('OPEN');
    const never = formatComponent({ status: { ...status, lastAnomalyMs: 0 }, live: live(''), incident: null }, NOW);
    // a component with its own LoRA adapter serving
    expect(formatComponent({ status: { ...status, forecaster: '2+detector--demo-queue@3' }, live: live(''), incident: null }, NOW)).toContain(
      '\nforecaster   2+detector--demo-queue@3 (its LoRA adapter merged into the shared base)\n',
    );
    expect(never).toContain('\nincident     no open incident (no anomaly since the monitor started)\n');
  });

  it('formatComponent - shared forecaster although the component has a champion adapter: says which and why it is not applied', () => {
    const idle = { model: 'detector--demo-queue', version: '2', trainedOn: '2', baseChampion: '1' };
    expect(formatComponent({ status, live: live(''), incident: null, idleAdapter: idle }, NOW)).toContain(
      '\nforecaster   shared — its adapter detector--demo-queue@2 is not applied: it was trained on detector 2, the detector champion is 1 (x0 train detector --component demo-queue)\n',
    );
    expect(formatComponent({ status, live: live(''), incident: null, idleAdapter: { ...idle, trainedOn: '1' } }, NOW)).toContain(
      "\nforecaster   shared — its adapter detector--demo-queue@2 is the champion but does not serve (the monitor's log says why: 'detector adapter not applied')\n",
    );
    expect(formatComponent({ status, live: live(''), incident: null }, NOW)).toContain('\nforecaster   shared\n');
    // none is champion: its latest adapter stayed a challenger, and the shadow gate's reason says why
    const attempt = { model: 'detector--demo-queue', version: '1', reason: 'challenger huber 0.5138 does not beat the base alone 0.5282 by the margin of 5% (improvement 2.7%) on 660 held-out samples' };
    expect(formatComponent({ status, live: live(''), incident: null, adapterAttempt: attempt }, NOW)).toContain(
      '\nforecaster   shared — no adapter of it has won yet: detector--demo-queue@1 stayed challenger (challenger huber 0.5138 does not beat the base alone 0.5282 by the margin of 5% (improvement 2.7%) on 660 held-out samples)\n',
    );
    expect(formatComponent({ status, live: live(''), incident: null }, NOW)).toContain('\nforecaster   shared\n');
  });

  it('formatComponent - no live status: the incident is unknown and why, the rest is printed', () => {
    const out = formatComponent({ status, live: null, liveError: 'no live status within 3s — is the monitor running and is the component reporting?', incident: null }, NOW);
    expect(out).toContain(
      '\nincident     unknown: no live status within 3s — is the monitor running and is the component reporting? (last anomaly 2026-11-27 19:29:48 UTC (12s ago))\n',
    );
    expect(out).not.toContain('live status  ');
    expect(out).toMatch(/^error_rate\s+0\.405/m);
    // A component that stopped reporting: that is why (the monitor sends a status only as samples arrive).
    const silent = formatComponent({ status: { ...status, lastSampleMs: NOW - 312_000 }, live: null, liveError: 'no live status within 3s — is the monitor running and is the component reporting?', incident: null }, NOW);
    expect(silent).toContain(
      '\nincident     unknown: no live status: demo-queue last reported 5m12s ago, and the monitor sends one only as samples arrive (an incident open then is still open) (last anomaly 2026-11-27 19:29:48 UTC (12s ago))\n',
    );
  });

  it('formatComponent - an open incident whose announcements the monitor no longer lists; a component without metrics or samples', () => {
    const bare = ComponentStatus.fromPartial({ component: 'c', phase: 'learning' });
    const out = formatComponent({ status: bare, live: live('an_9'), incident: openIncident('an_9', [], []) }, NOW);
    expect(out).toBe(
      [
        'component    c',
        'phase        learning, 0 sample(s) seen',
        'last sample  never',
        'last score   0.000, severity none',
        'forecaster   shared',
        'incident     OPEN an_9',
        '             announcements unknown; latest an_9, which the monitor no longer lists (restarted since?); x0 events --type anomaly shows it',
        'live status  2026-11-27 19:29:59 UTC: score 0.930, severity high, scoring',
        '',
        'no metrics yet',
      ].join('\n'),
    );
  });

  it('shadowReason - the reason in a version\'s lineage shadow (JSON as the trainer flattens it); empty when absent or unreadable', () => {
    expect(shadowReason(JSON.stringify({ decision: 'challenger', reason: 'challenger huber 0.5 does not beat …', margin: 0.05 }))).toBe('challenger huber 0.5 does not beat …');
    expect(shadowReason(undefined)).toBe('');
    expect(shadowReason('not json')).toBe('');
    expect(shadowReason('{"decision":"challenger"}')).toBe('');
  });
});

import { Severity } from '@x0/contracts';
import { describeLastStatus } from './verifier';

describe('describeLastStatus (a not-recovered Outcome quotes the last status)', () => {
  it('an incident still open while the latest sample scores below medium is explained, not "severity none, incident … open"', () => {
    const text = describeLastStatus({ openAnomalyId: 'an_1', severity: Severity.SEVERITY_UNSPECIFIED }, 400);
    expect(text).toBe(
      'last status 0.4 s ago: incident an_1 still open — its metrics are not back within their pre-incident normal (the latest sample scores severity none against a baseline that adapts to a lasting fault)',
    );
    expect(text).not.toMatch(/severity none, incident/);
  });

  it('an open incident scored medium or above, and no incident, read as before', () => {
    expect(describeLastStatus({ openAnomalyId: 'an_2', severity: Severity.SEVERITY_HIGH }, 1234)).toBe('last status 1.2 s ago: severity high, incident an_2 open');
    expect(describeLastStatus({ openAnomalyId: '', severity: Severity.SEVERITY_MEDIUM }, 0)).toBe('last status 0.0 s ago: severity medium');
  });

  it('names the incident of the verified action, not the id of its latest announcement', () => {
    // ComponentHealth.open_anomaly_id is the latest announcement's id; the action's incident is an_1.
    expect(describeLastStatus({ openAnomalyId: 'an_3', severity: Severity.SEVERITY_UNSPECIFIED }, 1000, 'an_1')).toBe(
      'last status 1.0 s ago: incident an_1 still open (latest announcement an_3) — its metrics are not back within their pre-incident normal (the latest sample scores severity none against a baseline that adapts to a lasting fault)',
    );
    expect(describeLastStatus({ openAnomalyId: 'an_3', severity: Severity.SEVERITY_HIGH }, 1000, 'an_1')).toBe('last status 1.0 s ago: severity high, incident an_1 open (latest announcement an_3)');
    expect(describeLastStatus({ openAnomalyId: 'an_1', severity: Severity.SEVERITY_HIGH }, 1000, 'an_1')).toBe('last status 1.0 s ago: severity high, incident an_1 open');
  });
});

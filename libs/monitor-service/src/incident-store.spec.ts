import { decodeIncidentRecord, encodeIncidentRecord, type IncidentRecord } from './incident-store';

const TRACKED = [{ metric: 'cpu', mean: 0.3, std: 0.02, tolerance: 0.06, direction: 1 as const }];

describe('open-incident record', () => {
  it('round trip - the incident id, its start and the announcement count are kept', () => {
    const r: IncidentRecord = {
      incident: { anomalyId: 'an_3', incidentId: 'an_1', incidentStartMs: 1000, announcement: 3, severity: 'high', lastAlertMs: 241_000, tracked: TRACKED },
      before: new Uint8Array([1, 2, 3]),
    };
    const back = decodeIncidentRecord(JSON.parse(encodeIncidentRecord(r)));
    expect(back.incident).toEqual(r.incident);
    expect([...back.before]).toEqual([1, 2, 3]);
  });

  it('a record from an older monitor (no incident fields) is read, not refused: its anomaly is the incident, announced once, from its time', () => {
    const old = { version: 1, incident: { anomalyId: 'an_7', severity: 'medium', lastAlertMs: 5000, tracked: TRACKED }, before: Buffer.from([9]).toString('base64') };
    expect(decodeIncidentRecord(old).incident).toEqual({ anomalyId: 'an_7', incidentId: 'an_7', incidentStartMs: 5000, announcement: 1, severity: 'medium', lastAlertMs: 5000, tracked: TRACKED });
  });

  it('a damaged record is refused', () => {
    expect(() => decodeIncidentRecord({ version: 1, incident: { severity: 'high' }, before: 'AQ==' })).toThrow();
    expect(() => decodeIncidentRecord({ version: 1, incident: { anomalyId: 'an_1', incidentId: 'an_1', announcement: -1, severity: 'high', lastAlertMs: 1, tracked: [] }, before: 'AQ==' })).toThrow();
  });
});

import { EVENT_CODECS } from './codecs';
import { validateEvent, validateMeta } from './event-validation';
import { Severity } from './generated/x0/v1/common.pb';
import { Anomaly } from './generated/x0/v1/events.pb';
import { severityFromProto, severityToProto, parseSeverity, severityRank } from './severity';

const meta = { id: 'an_1', parentId: 'mb_1', component: 'web-1', timeMs: 1000, source: 'monitor' };

describe('event codecs', () => {
  it('anomaly - binary round trip keeps every field', () => {
    const a = Anomaly.fromPartial({ meta, score: 0.93, severity: Severity.SEVERITY_HIGH, signature: [0.5, -1.25], kind: 'web' });
    const back = EVENT_CODECS.anomaly.decode(EVENT_CODECS.anomaly.encode(a));
    expect(back).toEqual(a);
  });

  it('decode - truncated bytes fail with the type name', () => {
    const bytes = EVENT_CODECS.plan.encode({ ...EVENT_CODECS.plan.decode(new Uint8Array()), action: 'restart' });
    expect(() => EVENT_CODECS.plan.decode(bytes.subarray(0, bytes.length - 2))).toThrow(/'payload' is not a valid x0.v1.Plan protobuf/);
  });

  it('validateEvent - accepts a good anomaly, rejects NaN score and missing meta', () => {
    const a = Anomaly.fromPartial({ meta, score: 0.5 });
    expect(validateEvent('anomaly', a, 'web-1')).toBe(a);
    expect(() => validateEvent('anomaly', { ...a, score: NaN })).toThrow("'score' must be finite, got NaN");
    expect(() => validateEvent('anomaly', { ...a, score: 2 })).toThrow("'score' must be in [0, 1], got 2");
    expect(() => validateEvent('anomaly', { ...a, meta: undefined })).toThrow("'meta' is required");
    expect(() => validateEvent('anomaly', a, 'db-1')).toThrow(`'meta.component' is "web-1" but the subject names "db-1"`);
  });

  it('validateMeta - names the bad field', () => {
    expect(() => validateMeta({ ...meta, id: '' })).toThrow("'meta.id' must not be empty");
    expect(() => validateMeta({ ...meta, timeMs: 0 })).toThrow("'meta.time_ms' must be a positive time in ms");
    expect(() => validateMeta({ ...meta, component: 'a.b' })).toThrow("'meta.component' must be a valid subject token");
  });

  it('validateEvent - downstream events need their incident', () => {
    const d = EVENT_CODECS.diagnosis.decode(EVENT_CODECS.diagnosis.encode({ ...EVENT_CODECS.diagnosis.decode(new Uint8Array()), meta }));
    expect(() => validateEvent('diagnosis', d)).toThrow("'incident.anomaly_id' must not be empty");
  });
});

describe('severity', () => {
  it('maps both ways and ranks', () => {
    for (const level of ['none', 'low', 'medium', 'high'] as const) expect(severityFromProto(severityToProto(level))).toBe(level);
    expect(parseSeverity(' HIGH ')).toBe('high');
    expect(parseSeverity('critical')).toBeUndefined();
    expect(severityRank('medium')).toBeGreaterThan(severityRank('low'));
  });
});

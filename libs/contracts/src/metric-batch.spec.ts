import { InvalidArgumentError } from '@x0/core';
import { decodeMetricBatch, METRIC_BATCH_CODEC, validateMetricBatch, MAX_SAMPLES_PER_BATCH } from './metric-batch';
import type { MetricBatch } from './generated/x0/v1/events.pb';

const text = (s: string) => new TextEncoder().encode(s);
const json = (o: unknown) => text(JSON.stringify(o));
const opts = { subjectComponent: 'web-1', fallbackId: 'seq-7', now: 1_700_000_000_000 };

function batch(partial: Partial<MetricBatch>): MetricBatch {
  return { id: 'b1', component: 'web-1', timeMs: 1000, samples: [{ metric: 'cpu', value: 0.5, timeMs: 0 }], labels: {}, ...partial };
}

describe('metric batch codec', () => {
  it('decode - protobuf round trip', () => {
    const b = batch({ labels: { kind: 'web' }, samples: [{ metric: 'cpu', value: 0.25, timeMs: 5 }] });
    expect(decodeMetricBatch(METRIC_BATCH_CODEC.encode(b))).toEqual(b);
  });

  it('decode - JSON samples form, snake or camel case times', () => {
    const b = decodeMetricBatch(json({ id: 'j1', time_ms: 10, samples: [{ metric: 'cpu', value: 1, timeMs: 11 }], labels: { kind: 'db' } }));
    expect(b).toEqual({ id: 'j1', component: '', timeMs: 10, samples: [{ metric: 'cpu', value: 1, timeMs: 11 }], labels: { kind: 'db' } });
  });

  it('decode - JSON compact metrics form', () => {
    const b = decodeMetricBatch(json({ metrics: { cpu: 0.9, mem: 0.4 } }));
    expect(b.samples).toEqual([
      { metric: 'cpu', value: 0.9, timeMs: 0 },
      { metric: 'mem', value: 0.4, timeMs: 0 },
    ]);
  });

  it('decode - malformed JSON names the problem', () => {
    expect(() => decodeMetricBatch(text('{"metrics": {"cpu": "high"'))).toThrow(/^'payload' is not valid JSON: /);
    expect(() => decodeMetricBatch(json({ samples: [{ metric: 'cpu', value: 'high' }] }))).toThrow("'samples[0].value' expected number, received string");
    expect(() => decodeMetricBatch(json({ metricz: {} }))).toThrow(InvalidArgumentError);
  });

  it('decode - a bare NaN or Infinity literal is not JSON, and the reason says so', () => {
    for (const literal of ['NaN', 'Infinity', '-Infinity']) {
      expect(() => decodeMetricBatch(text(`{"metrics": {"cpu": 0.5, "mem": ${literal}}}`))).toThrow(/^'payload' is not valid JSON \(NaN and Infinity are not JSON values\): /);
      expect(() => decodeMetricBatch(text(`{"samples": [{"metric": "mem", "value": ${literal}}]}`))).toThrow('(NaN and Infinity are not JSON values)');
    }
  });

  it('decode - JSON numbers that overflow to Infinity are decoded; validation drops only that sample, as for protobuf', () => {
    for (const payload of ['{"metrics":{"cpu":0.5,"mem":1e400}}', '{"samples":[{"metric":"cpu","value":0.5},{"metric":"mem","value":-1e400}]}']) {
      const decoded = decodeMetricBatch(text(payload));
      expect(decoded.samples.map((s) => s.metric)).toEqual(['cpu', 'mem']);
      expect(Math.abs(decoded.samples[1].value)).toBe(Infinity);
      const fromJson = validateMetricBatch(decoded, opts);
      const fromProto = validateMetricBatch(decodeMetricBatch(METRIC_BATCH_CODEC.encode(decoded)), opts);
      expect(fromJson.batch.samples).toEqual([{ metric: 'cpu', value: 0.5, timeMs: opts.now }]);
      expect(fromJson.rejected).toEqual([{ index: 1, reason: `'samples[1].value' must be finite, got ${decoded.samples[1].value}` }]);
      expect(fromJson).toEqual(fromProto);
    }
  });

  it('decode - JSON values that are not numbers get a structural reason naming the field', () => {
    expect(() => decodeMetricBatch(json({ metrics: { cpu: 0.5, mem: '0.4' } }))).toThrow("'metrics.mem' expected number, received string");
    expect(() => decodeMetricBatch(json({ metrics: { cpu: { v: 1 } } }))).toThrow("'metrics.cpu' expected number, received object");
    expect(() => decodeMetricBatch(json({ metrics: { cpu: [1] } }))).toThrow("'metrics.cpu' expected number, received array");
    expect(() => decodeMetricBatch(json({ metrics: { cpu: null } }))).toThrow("'metrics.cpu' expected number, received null");
    expect(() => decodeMetricBatch(json({ samples: [{ metric: 'cpu', value: 1 }, { metric: 'mem', value: true }] }))).toThrow("'samples[1].value' expected number, received boolean");
    expect(() => decodeMetricBatch(json({ samples: [{ metric: 'cpu' }] }))).toThrow("'samples[0].value' expected number, received undefined");
  });

  it('decode - garbage bytes are rejected as protobuf, naming both accepted forms and keeping the decoder detail', () => {
    expect(() => decodeMetricBatch(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow(
      /^'payload' must be an x0.v1.MetricBatch protobuf or a JSON object \(\{"metrics":\{\.\.\.\}\} or \{"samples":\[\.\.\.\]\}\); as protobuf: \S/,
    );
  });

  it('decode - plain text is rejected with the two accepted forms and the decoder detail', () => {
    const forms = `'payload' must be an x0.v1.MetricBatch protobuf or a JSON object ({"metrics":{...}} or {"samples":[...]}); as protobuf:`;
    expect(() => decodeMetricBatch(text('cpu 0.5'))).toThrow(`${forms} illegal tag: field no 5 wire type 6`);
    expect(() => decodeMetricBatch(text('cpu=0.5'))).toThrow(`${forms} premature EOF`);
    expect(() => decodeMetricBatch(text('[{"metric":"cpu","value":0.5}]'))).toThrow(`${forms} premature EOF`);
    // Text that happens to parse as unknown protobuf fields only.
    expect(() => decodeMetricBatch(text('hello'))).toThrow(`${forms} no MetricBatch field in the bytes`);
  });

  it('decode - an empty payload is an empty batch (validation then says the samples are missing)', () => {
    expect(decodeMetricBatch(new Uint8Array())).toEqual({ id: '', component: '', timeMs: 0, samples: [], labels: {} });
  });
});

describe('validateMetricBatch', () => {
  it('fills in component, id and times from the subject, fallback and batch', () => {
    const { batch: b, rejected } = validateMetricBatch(batch({ id: '', component: '', timeMs: 0 }), opts);
    expect(rejected).toEqual([]);
    expect(b.component).toBe('web-1');
    expect(b.id).toBe('seq-7');
    expect(b.timeMs).toBe(opts.now);
    expect(b.samples[0].timeMs).toBe(opts.now);
  });

  it('drops NaN and Infinity samples with a reason and keeps the rest', () => {
    const { batch: b, rejected } = validateMetricBatch(
      batch({ samples: [{ metric: 'cpu', value: NaN, timeMs: 0 }, { metric: 'mem', value: 0.3, timeMs: 0 }, { metric: 'lat', value: Infinity, timeMs: 0 }] }),
      opts,
    );
    expect(b.samples.map((s) => s.metric)).toEqual(['mem']);
    expect(rejected).toEqual([
      { index: 0, reason: "'samples[0].value' must be finite, got NaN" },
      { index: 2, reason: "'samples[2].value' must be finite, got Infinity" },
    ]);
  });

  it('refuses times more than maxFutureMs ahead of now (a time in microseconds, a clock years ahead), the sample or the whole batch', () => {
    const o = { ...opts, maxFutureMs: 300_000 };
    const usec = opts.now * 1000;
    const { batch: b, rejected } = validateMetricBatch(
      batch({ samples: [{ metric: 'cpu', value: 1, timeMs: usec }, { metric: 'mem', value: 2, timeMs: opts.now + 300_000 }, { metric: 'lat', value: 3, timeMs: opts.now + 301_000 }] }),
      o,
    );
    expect(b.samples.map((s) => s.metric)).toEqual(['mem']);
    expect(rejected.map((r) => r.index)).toEqual([0, 2]);
    expect(rejected[0].reason).toMatch(new RegExp(`^'samples\\[0\\].time_ms' ${usec} is [\\d,]+ days ahead of the receiver's clock \\(at most 300 s\\): times are milliseconds since the Unix epoch$`));
    expect(rejected[1].reason).toContain("'samples[2].time_ms' " + (opts.now + 301_000) + ' is 301 s ahead');
    expect(() => validateMetricBatch(batch({ timeMs: usec }), o)).toThrow(/^'time_ms' \d+ is [\d,]+ days ahead of the receiver's clock/);
    // Without the option, no limit (the client validates its own batches that way).
    expect(validateMetricBatch(batch({ timeMs: usec }), opts).batch.timeMs).toBe(usec);
  });

  it('rejects a batch whose every sample is bad', () => {
    expect(() => validateMetricBatch(batch({ samples: [{ metric: '', value: 1, timeMs: 0 }] }), opts)).toThrow(
      "'samples' has no valid sample: 'samples[0].metric' must not be empty",
    );
  });

  it('rejects a component that disagrees with the subject', () => {
    expect(() => validateMetricBatch(batch({ component: 'db-1' }), opts)).toThrow(`'component' is "db-1" but the subject names "web-1"`);
  });

  it('rejects empty and oversized batches', () => {
    expect(() => validateMetricBatch(batch({ samples: [] }), opts)).toThrow("'samples' must not be empty");
    const many = Array.from({ length: MAX_SAMPLES_PER_BATCH + 1 }, () => ({ metric: 'cpu', value: 1, timeMs: 0 }));
    expect(() => validateMetricBatch(batch({ samples: many }), opts)).toThrow(`more than the limit of ${MAX_SAMPLES_PER_BATCH}`);
  });

  it('rejects metric names with whitespace', () => {
    const { rejected } = validateMetricBatch(batch({ samples: [{ metric: 'cpu load', value: 1, timeMs: 0 }, { metric: 'cpu.user', value: 1, timeMs: 0 }] }), opts);
    expect(rejected).toEqual([{ index: 0, reason: "'samples[0].metric' must not contain whitespace or control characters" }]);
  });
});

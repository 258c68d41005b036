import { z } from 'zod';
import { InvalidArgumentError, errorMessage } from '@x0/core';
import { MetricBatch, type Sample } from './generated/x0/v1/events.pb';
import { codecOf } from './codecs';
import { isSubjectToken } from './subjects';

/** Most samples one batch may carry. */
export const MAX_SAMPLES_PER_BATCH = 10_000;
const MAX_METRIC_NAME = 128;
// Metric names: printable, no whitespace; '.' is allowed (cpu.user) since names are not subject tokens.
const METRIC_NAME = /^[^\s\u0000-\u001f\u007f]+$/;
// A bare NaN or Infinity where a JSON value belongs (after ':', ',' or '[').
const NON_JSON_NUMBER = /[:,[]\s*[-+]?(NaN|Infinity)\b/;

export const METRIC_BATCH_CODEC = codecOf('x0.v1.MetricBatch', MetricBatch);

// Any number, NaN and ±Infinity included (JSON.parse turns 1e400 into Infinity): finiteness is a
// per-sample check in validateMetricBatch, as for protobuf, so one bad value does not cost the batch.
const anyNumber = z.custom<number>((v) => typeof v === 'number', { error: (issue) => `expected number, received ${jsonType(issue.input)}` });
const timeMs = z.number().int().nonnegative();
const jsonBatch = z
  .object({
    id: z.string().optional(),
    component: z.string().optional(),
    time_ms: timeMs.optional(),
    timeMs: timeMs.optional(),
    labels: z.record(z.string(), z.string()).optional(),
    samples: z
      .array(
        z.object({
          metric: z.string(),
          value: anyNumber,
          time_ms: timeMs.optional(),
          timeMs: timeMs.optional(),
        }),
      )
      .optional(),
    // Compact form for hand-made batches: {"metrics": {"cpu": 0.93, "mem": 0.41}}
    metrics: z.record(z.string(), anyNumber).optional(),
  })
  .strict();

/**
 * Decodes a metric batch published as protobuf or, for hand-made tests, as JSON (either
 * `{"samples":[{"metric":"cpu","value":0.9}]}` or `{"metrics":{"cpu":0.9}}`). JSON is
 * recognised by its first non-space byte '{', which can never start our protobuf message.
 * Values are only checked to be numbers here; NaN and Infinity are left to validateMetricBatch.
 * Throws InvalidArgumentError naming the field when the payload cannot be read.
 */
export function decodeMetricBatch(bytes: Uint8Array): MetricBatch {
  if (looksLikeJson(bytes)) return parseJsonBatch(bytes);
  let batch: MetricBatch;
  try {
    batch = MetricBatch.decode(bytes);
  } catch (err) {
    throw notABatch(errorMessage(err), err);
  }
  // Some plain text ("hello") parses as unknown protobuf fields only; name the forms for it too.
  if (bytes.length > 0 && isEmptyBatch(batch)) throw notABatch('no MetricBatch field in the bytes');
  return batch;
}

// Most often plain text or a JSON array: say which two forms are accepted, with the decoder's detail.
function notABatch(detail: string, cause?: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    'payload',
    `must be an ${METRIC_BATCH_CODEC.typeName} protobuf or a JSON object ({"metrics":{...}} or {"samples":[...]}); as protobuf: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

function isEmptyBatch(b: MetricBatch): boolean {
  return !b.id && !b.component && b.timeMs === 0 && b.samples.length === 0 && Object.keys(b.labels).length === 0;
}

function looksLikeJson(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x7b;
  }
  return false;
}

function parseJsonBatch(bytes: Uint8Array): MetricBatch {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // Exporters that print floats with a non-JSON serializer write NaN/Infinity bare.
    const hint = NON_JSON_NUMBER.test(text) ? ' (NaN and Infinity are not JSON values)' : '';
    throw new InvalidArgumentError('payload', `is not valid JSON${hint}: ${errorMessage(err)}`, { cause: err });
  }
  const parsed = jsonBatch.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError(formatPath(issue.path), issue.message.replace(/^Invalid input: /, ''));
  }
  const j = parsed.data;
  const batchTime = j.time_ms ?? j.timeMs ?? 0;
  const samples: Sample[] = (j.samples ?? []).map((s) => ({ metric: s.metric, value: s.value, timeMs: s.time_ms ?? s.timeMs ?? 0 }));
  for (const [metric, value] of Object.entries(j.metrics ?? {})) samples.push({ metric, value, timeMs: 0 });
  return { id: j.id ?? '', component: j.component ?? '', timeMs: batchTime, samples, labels: j.labels ?? {} };
}

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** A sample dropped from a batch, and why. */
export interface RejectedSample {
  index: number;
  reason: string;
}

export interface ValidatedBatch {
  /** The batch with component, id and times filled in and only valid samples kept. */
  batch: MetricBatch;
  rejected: RejectedSample[];
}

export interface ValidateBatchOptions {
  /** Component named by the subject (`x0.metrics.<component>`); the batch must agree with it. */
  subjectComponent: string;
  /** Id to use when the publisher left it empty (e.g. derived from the stream sequence). */
  fallbackId: string;
  /** Time to use when neither batch nor sample has one. */
  now: number;
  /**
   * Times more than this far ahead of `now` are refused (ms; default: no limit). A sample time
   * in microseconds, or from a clock years ahead, would otherwise become its component's latest
   * time, and every correct sample after it would be "before the component's last sample".
   */
  maxFutureMs?: number;
}

/**
 * Validates a decoded batch. Batch-level problems (component mismatch, no samples, too many)
 * throw InvalidArgumentError; bad samples (NaN/Infinity, bad metric names) are dropped and
 * listed in `rejected` with a reason naming the field, so one bad value does not cost the rest.
 * Throws when no sample survives.
 */
export function validateMetricBatch(input: MetricBatch, options: ValidateBatchOptions): ValidatedBatch {
  const component = input.component || options.subjectComponent;
  if (!isSubjectToken(component)) throw new InvalidArgumentError('component', `must be a valid subject token, got ${JSON.stringify(component)}`);
  if (component !== options.subjectComponent) {
    throw new InvalidArgumentError('component', `is ${JSON.stringify(component)} but the subject names ${JSON.stringify(options.subjectComponent)}`);
  }
  if (input.samples.length === 0) throw new InvalidArgumentError('samples', 'must not be empty');
  if (input.samples.length > MAX_SAMPLES_PER_BATCH) {
    throw new InvalidArgumentError('samples', `has ${input.samples.length} samples, more than the limit of ${MAX_SAMPLES_PER_BATCH}`);
  }
  if (input.id.length > 200) throw new InvalidArgumentError('id', 'must be at most 200 characters');
  const latest = options.now + (options.maxFutureMs ?? Infinity);
  if (input.timeMs > latest) throw new InvalidArgumentError('time_ms', aheadOfClock(input.timeMs, options));
  const batchTime = input.timeMs > 0 ? input.timeMs : options.now;
  const rejected: RejectedSample[] = [];
  const samples: Sample[] = [];
  input.samples.forEach((s, index) => {
    const reason = sampleProblem(s, index) ?? (s.timeMs > latest ? `'samples[${index}].time_ms' ${aheadOfClock(s.timeMs, options)}` : undefined);
    if (reason) rejected.push({ index, reason });
    else samples.push(s.timeMs > 0 ? s : { metric: s.metric, value: s.value, timeMs: batchTime });
  });
  if (samples.length === 0) {
    throw new InvalidArgumentError('samples', `has no valid sample: ${rejected.map((r) => r.reason).join('; ')}`);
  }
  return {
    batch: { id: input.id || options.fallbackId, component, timeMs: batchTime, samples, labels: input.labels },
    rejected,
  };
}

/** Why a time is refused as too far ahead: how far, the limit, and what is expected. */
function aheadOfClock(timeMs: number, o: ValidateBatchOptions): string {
  const aheadS = (timeMs - o.now) / 1000;
  const ahead = aheadS < 86_400 * 2 ? `${Math.round(aheadS)} s` : `${Math.round(aheadS / 86_400).toLocaleString('en-US')} days`;
  return `${timeMs} is ${ahead} ahead of the receiver's clock (at most ${Math.round((o.maxFutureMs ?? 0) / 1000)} s): times are milliseconds since the Unix epoch`;
}

function sampleProblem(s: Sample, i: number): string | undefined {
  if (!s.metric) return `'samples[${i}].metric' must not be empty`;
  if (s.metric.length > MAX_METRIC_NAME) return `'samples[${i}].metric' must be at most ${MAX_METRIC_NAME} characters`;
  if (!METRIC_NAME.test(s.metric)) return `'samples[${i}].metric' must not contain whitespace or control characters`;
  if (!Number.isFinite(s.value)) return `'samples[${i}].value' must be finite, got ${s.value}`;
  if (s.timeMs < 0) return `'samples[${i}].time_ms' must not be negative`;
  return undefined;
}

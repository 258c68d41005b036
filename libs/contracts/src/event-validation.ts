import { InvalidArgumentError } from '@x0/core';
import type { EventMeta } from './generated/x0/v1/common.pb';
import type { EventPayloads } from './codecs';
import { isSubjectToken, type EventType } from './subjects';

/**
 * Checks the header every event must carry: a non-empty id, a valid component that matches
 * the subject's, and a positive time. Throws InvalidArgumentError naming the field.
 */
export function validateMeta(meta: EventMeta | undefined, subjectComponent?: string): EventMeta {
  if (!meta) throw new InvalidArgumentError('meta', 'is required');
  if (!meta.id) throw new InvalidArgumentError('meta.id', 'must not be empty');
  if (meta.id.length > 200) throw new InvalidArgumentError('meta.id', 'must be at most 200 characters');
  if (!isSubjectToken(meta.component)) throw new InvalidArgumentError('meta.component', `must be a valid subject token, got ${JSON.stringify(meta.component)}`);
  if (subjectComponent !== undefined && meta.component !== subjectComponent) {
    throw new InvalidArgumentError('meta.component', `is ${JSON.stringify(meta.component)} but the subject names ${JSON.stringify(subjectComponent)}`);
  }
  if (!(meta.timeMs > 0)) throw new InvalidArgumentError('meta.time_ms', 'must be a positive time in ms');
  return meta;
}

function finite(field: string, v: number, min = -Infinity, max = Infinity): void {
  if (!Number.isFinite(v)) throw new InvalidArgumentError(field, `must be finite, got ${v}`);
  if (v < min || v > max) throw new InvalidArgumentError(field, `must be in [${min}, ${max}], got ${v}`);
}

/** Validates a decoded event of the given type (header plus the fields consumers rely on). */
export function validateEvent<K extends EventType>(type: K, event: EventPayloads[K], subjectComponent?: string): EventPayloads[K] {
  validateMeta(event.meta, subjectComponent);
  switch (type) {
    case 'anomaly': {
      const a = event as EventPayloads['anomaly'];
      finite('score', a.score, 0, 1);
      a.signature.forEach((v, i) => finite(`signature[${i}]`, v));
      break;
    }
    case 'diagnosis': {
      const d = event as EventPayloads['diagnosis'];
      if (!d.incident?.anomalyId) throw new InvalidArgumentError('incident.anomaly_id', 'must not be empty');
      finite('confidence', d.confidence, 0, 1);
      break;
    }
    case 'plan': {
      const p = event as EventPayloads['plan'];
      if (!p.incident?.anomalyId) throw new InvalidArgumentError('incident.anomaly_id', 'must not be empty');
      if (p.action && !isSubjectToken(p.action)) throw new InvalidArgumentError('action', `must be a valid subject token, got ${JSON.stringify(p.action)}`);
      break;
    }
    case 'action': {
      const r = event as EventPayloads['action'];
      if (!r.planId) throw new InvalidArgumentError('plan_id', 'must not be empty');
      break;
    }
    case 'outcome': {
      const o = event as EventPayloads['outcome'];
      if (!o.incident?.anomalyId) throw new InvalidArgumentError('incident.anomaly_id', 'must not be empty');
      finite('time_to_recover_ms', o.timeToRecoverMs, 0);
      break;
    }
    case 'approval': {
      const ap = event as EventPayloads['approval'];
      if (!ap.planId) throw new InvalidArgumentError('plan_id', 'must not be empty');
      break;
    }
    case 'label': {
      const l = event as EventPayloads['label'];
      if (!l.anomalyId) throw new InvalidArgumentError('anomaly_id', 'must not be empty');
      if (l.origin !== 'operator' && l.origin !== 'outcome') throw new InvalidArgumentError('origin', `must be operator or outcome, got ${JSON.stringify(l.origin)}`);
      break;
    }
    case 'training': {
      const t = event as EventPayloads['training'];
      if (!t.job?.id) throw new InvalidArgumentError('job.id', 'must not be empty');
      if (!t.job.model) throw new InvalidArgumentError('job.model', 'must not be empty');
      finite('job.progress', t.job.progress, 0, 1);
      break;
    }
    case 'model_alert': {
      const a = event as EventPayloads['model_alert'];
      if (!a.model) throw new InvalidArgumentError('model', 'must not be empty');
      finite('value', a.value);
      break;
    }
  }
  return event;
}

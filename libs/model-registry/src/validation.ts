import { subjectToken } from '@x0/contracts';
import { InvalidArgumentError } from '@x0/core';
import { checkName, checkVersion } from './names';
import type { ModelLineage, ModelSignature } from './types';

/** The checked fields of a registration. */
export interface ValidRegistration {
  model: string;
  version: string;
  component: string;
  metrics: Record<string, number>;
  signature: ModelSignature;
  lineage: ModelLineage;
}

/** Validates what `register()` is given, naming the first bad field (InvalidArgumentError). */
export function validateRegistration(input: {
  model: string;
  version: string;
  component?: string;
  metrics?: Record<string, number>;
  signature: ModelSignature;
  lineage?: ModelLineage;
  artifacts: unknown;
}): ValidRegistration {
  const model = checkName('model', input.model);
  const version = checkVersion('version', input.version);
  const component = input.component ?? '';
  // any component name x0 accepts (a subject token, as on x0.metrics.<component>): it is kept in the record and its events, never in a key
  if (component !== '') subjectToken(component, 'component');
  if (!input.artifacts || typeof input.artifacts !== 'object') throw new InvalidArgumentError('artifacts', 'are required');

  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(input.metrics ?? {})) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`metrics.${k}`, `must be a finite number, got ${String(v)}`);
    metrics[k] = v;
  }

  const sig = input.signature;
  if (!sig || !Array.isArray(sig.inputShape) || sig.inputShape.length === 0) throw new InvalidArgumentError('signature.inputShape', 'must be a non-empty array');
  sig.inputShape.forEach((d, i) => {
    if (!Number.isInteger(d) || d <= 0) throw new InvalidArgumentError(`signature.inputShape[${i}]`, `must be a positive integer, got ${d}`);
  });
  if (sig.adapterRank !== undefined && (!Number.isInteger(sig.adapterRank) || sig.adapterRank <= 0)) {
    throw new InvalidArgumentError('signature.adapterRank', `must be a positive integer, got ${sig.adapterRank}`);
  }
  if (sig.baseModelHash !== undefined && (typeof sig.baseModelHash !== 'string' || sig.baseModelHash === '')) {
    throw new InvalidArgumentError('signature.baseModelHash', 'must be a non-empty string');
  }
  const signature: ModelSignature = { inputShape: [...sig.inputShape] };
  if (sig.baseModelHash !== undefined) signature.baseModelHash = sig.baseModelHash;
  if (sig.adapterRank !== undefined) signature.adapterRank = sig.adapterRank;

  const lineage: ModelLineage = { ...(input.lineage ?? {}) };
  const w = lineage.dataWindow;
  if (w && !(Number.isFinite(w.startMs) && Number.isFinite(w.endMs) && w.startMs <= w.endMs)) {
    throw new InvalidArgumentError('lineage.dataWindow', `must have finite startMs <= endMs, got ${JSON.stringify(w)}`);
  }
  if (lineage.parentVersion !== undefined) checkVersion('lineage.parentVersion', lineage.parentVersion);
  if (lineage.config !== undefined) {
    try {
      lineage.config = JSON.parse(JSON.stringify(lineage.config)) as Record<string, unknown>;
    } catch (err) {
      throw new InvalidArgumentError('lineage.config', 'must be JSON-serialisable', { cause: err });
    }
  }
  return { model, version, component, metrics, signature, lineage };
}

import { InvalidArgumentError } from '@x0/core';
import type { MetricValues } from './faults';

/**
 * Input drift the demo can inject: a lasting change of a component's dynamics, not a fault
 * (nothing fixes it, and no agent action is asked for). What the trainer's drift check is for:
 * - `quiet`: the noise of every metric falls to a tenth (a cache now absorbs the jitter, a
 *   traffic shaper smooths requests); the monitor sees nothing wrong with it;
 * - `noisy`: the noise triples (a noisy neighbour);
 * - `flap`: latency, rps and cpu alternate ×1.7 / ×0.5 from one sample to the next (a
 *   saturating neighbour every other second); the monitor flags it as an incident, so the
 *   trainer judges it only after TRAINER_INCIDENT_MAX_S.
 */
export const DRIFT_KINDS = ['quiet', 'noisy', 'flap'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** A drift of one component from `afterS` seconds after the demo started. */
export interface DemoDrift {
  component: string;
  kind: DriftKind;
  afterS: number;
}

/** How much of its usual noise a metric keeps under the drift (1 for `flap`). */
export function driftNoiseScale(kind: DriftKind): number {
  return kind === 'quiet' ? 0.1 : kind === 'noisy' ? 3 : 1;
}

const FLAPPING = ['latency_ms', 'rps', 'cpu'];

/** The values of sample `i` under the drift (noise is scaled where the values are made: driftNoiseScale). */
export function applyDrift(kind: DriftKind, values: MetricValues, i: number): MetricValues {
  if (kind !== 'flap') return values;
  const out = { ...values };
  for (const m of FLAPPING) if (m in out) out[m] *= i % 2 === 0 ? 1.7 : 0.5;
  return out;
}

/** Parses `--drift <component>[:<kind>]` (kind default `quiet`). */
export function parseDrift(spec: string, afterS: number): DemoDrift {
  const [component, kind = 'quiet', ...rest] = spec.split(':');
  if (!component || rest.length > 0) throw new InvalidArgumentError('drift', `must be <component>[:<kind>], got ${JSON.stringify(spec)}`);
  if (!(DRIFT_KINDS as readonly string[]).includes(kind)) throw new InvalidArgumentError('drift', `kind must be one of ${DRIFT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  if (!(afterS >= 0)) throw new InvalidArgumentError('driftAfter', `must be ≥ 0 seconds, got ${afterS}`);
  return { component, kind: kind as DriftKind, afterS };
}

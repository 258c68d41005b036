import { ADVISED_BY_PARAM, ADVISED_PROBABILITY_PARAM } from '@x0/action-params';
import { EVENT_CODECS, parseSubject, validateEvent, Verdict, type EventPayloads } from '@x0/contracts';

/** A labelled prediction: what the model version predicted and what was true. */
export interface Feedback {
  model: string;
  /** Registry version that made the prediction ('' when unknown; see {@link registryVersionOf}). */
  version: string;
  predicted: boolean;
  actual: boolean;
  /** What was predicted about (the anomaly id, the action id): feedback on the same key replaces the earlier one. */
  key: string;
}

/**
 * The registry version named by a served model version: the detector's anomalies carry
 * `stat-v1+mlp-forecaster-<version>` (the monitor names its forecaster after the registry
 * version it serves); anything else is taken as it is ('' stays unknown).
 */
export function registryVersionOf(modelVersion: string): string {
  return /(?:^|\+)mlp-forecaster-([^+]+)$/.exec(modelVersion)?.[1] ?? modelVersion;
}

/** How far before a replay's start its actions are read: an outcome is verified after its action, within the verification window. */
export const ACTION_LOOKBACK_MS = 3_600_000;

/**
 * The labelled prediction of the action-parameter model an outcome gives: a verified outcome
 * of an action whose params record the advisor's probability (predicted recovery = p >= 0.5)
 * and `advised_by` (`<model>@<base version>[+<component>@<adapter version>]`: the base's
 * version is the served one). Undefined otherwise.
 */
export function advisedFeedback(o: EventPayloads['outcome'], action: EventPayloads['action'] | undefined): Feedback | undefined {
  const verified = o.verdict === Verdict.VERDICT_RECOVERED || o.verdict === Verdict.VERDICT_NOT_RECOVERED;
  if (!verified || !action) return undefined;
  const p = Number(action.params[ADVISED_PROBABILITY_PARAM]);
  if (!Number.isFinite(p)) return undefined;
  const [model, version] = (action.params[ADVISED_BY_PARAM] ?? '').split('+')[0].split('@');
  return { model: model || 'action-params', version: version ?? '', predicted: p >= 0.5, actual: o.recovered, key: o.actionId };
}

/** The events the tracker reads; every other event is skipped undecoded. */
export type Feed =
  | { type: 'anomaly'; event: EventPayloads['anomaly'] }
  | { type: 'action'; event: EventPayloads['action'] }
  | { type: 'outcome'; event: EventPayloads['outcome'] }
  | { type: 'label'; event: EventPayloads['label'] }
  | { type: 'other' };

export function decodeFeed(data: Uint8Array, subject: string): Feed {
  const parsed = parseSubject(subject);
  if (parsed.type !== 'event') return { type: 'other' };
  const t = parsed.event;
  if (t !== 'anomaly' && t !== 'action' && t !== 'outcome' && t !== 'label') return { type: 'other' };
  // Throws InvalidArgumentError on a bad event: the consumer dead-letters it.
  const event = validateEvent(t, EVENT_CODECS[t].decode(data), parsed.component);
  return { type: t, event } as Feed;
}

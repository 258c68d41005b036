import { createEventConsumer, type Bus, type ConsumerLoop, type HandleResult } from '@x0/bus';
import { EVENT_CODECS, eventSubject, Label, Verdict, type EventPayloads } from '@x0/contracts';
import { deriveId, LruMap } from '@x0/core';
import { hasParams } from '@x0/action-params';
import { DETECTOR_MODEL } from '@x0/model-serving';
import type { Logger, ServiceStats } from '@x0/service-kit';

/** What the trainer remembers of an anomaly: where it was and which model raised it. */
export interface AnomalyRef {
  id: string;
  component: string;
  model: string;
  modelVersion: string;
  timeMs: number;
}

/** Options of {@link FeedbackTracker}. */
export interface FeedbackTrackerOptions {
  bus: Bus;
  logger: Logger;
  stats: ServiceStats;
  /** A labelled prediction of `model` (its version when known). */
  onFeedback(model: string, version: string, predicted: boolean, actual: boolean): void;
  /** A verified outcome of a parametrised action on `component`. */
  onParamOutcome(component: string, action: string): void;
  /** Anomalies and actions remembered for lookups (default 50,000 each). */
  indexSize?: number;
}

/** The advisor's prediction, as execute records it in the action's params. */
export const ADVISED_BY_PARAM = 'advised_by';
export const ADVISED_PROBABILITY_PARAM = 'advised_probability';

/**
 * Turns the loop's events into feedback for the performance monitor:
 * - anomalies are indexed (component, model, version) so a label can name its model;
 * - an Outcome that recovered after an action confirms its anomaly: the trainer publishes a
 *   Label (origin `outcome`) on `x0.events.label.<component>` — before acking the outcome;
 * - every Label (operator or outcome) becomes a labelled prediction of the model that raised
 *   the anomaly (an operator's label is counted even after an outcome's; an outcome's label
 *   is skipped when an operator has labelled that anomaly already);
 * - outcomes of parametrised actions count towards adapter retraining, and when execute
 *   recorded the advisor's probability in the action params, become labelled predictions of
 *   the action-parameter model (predicted recovery = probability >= 0.5).
 */
export class FeedbackTracker {
  private readonly anomalies: LruMap<string, AnomalyRef>;
  private readonly actions: LruMap<string, EventPayloads['action']>;
  private readonly labelled: LruMap<string, 'operator' | 'outcome'>;
  private readonly consumers: ConsumerLoop<unknown>[];

  constructor(private readonly o: FeedbackTrackerOptions) {
    const size = o.indexSize ?? 50_000;
    this.anomalies = new LruMap(size);
    this.actions = new LruMap(size);
    this.labelled = new LruMap(size);
    const common = { bus: o.bus, service: 'trainer', logger: o.logger, observer: o.stats };
    this.consumers = [
      createEventConsumer({ ...common, durable: 'trainer-anomaly', type: 'anomaly', handle: (a) => this.onAnomaly(a) }),
      createEventConsumer({ ...common, durable: 'trainer-action', type: 'action', handle: (a) => this.onAction(a) }),
      createEventConsumer({ ...common, durable: 'trainer-outcome', type: 'outcome', handle: (x) => this.onOutcome(x) }),
      createEventConsumer({ ...common, durable: 'trainer-label', type: 'label', handle: (l) => this.onLabel(l) }),
    ] as ConsumerLoop<unknown>[];
  }

  /** Starts the consumers (anomalies first, so labels find their anomaly). */
  async start(): Promise<void> {
    for (const c of this.consumers) await c.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  /** An anomaly seen on the bus (undefined when unknown or forgotten). */
  anomaly(id: string): AnomalyRef | undefined {
    return this.anomalies.get(id);
  }

  private onAnomaly(a: EventPayloads['anomaly']): HandleResult {
    const m = a.meta!;
    this.anomalies.set(m.id, { id: m.id, component: m.component, model: DETECTOR_MODEL, modelVersion: a.modelVersion, timeMs: m.timeMs });
    return { type: 'ok' };
  }

  private onAction(a: EventPayloads['action']): HandleResult {
    if (hasParams(a.action)) this.actions.set(a.meta!.id, a);
    return { type: 'ok' };
  }

  private onOutcome(o: EventPayloads['outcome']): HandleResult {
    const verified = o.verdict === Verdict.VERDICT_RECOVERED || o.verdict === Verdict.VERDICT_NOT_RECOVERED;
    const component = o.meta!.component;
    const action = this.actions.get(o.actionId);
    if (verified && action) {
      this.o.onParamOutcome(component, action.action);
      const p = Number(action.params[ADVISED_PROBABILITY_PARAM]);
      const by = action.params[ADVISED_BY_PARAM] ?? '';
      if (Number.isFinite(p)) this.o.onFeedback(by.split('@')[0] || 'action-params', by.split('@')[1] ?? '', p >= 0.5, o.recovered);
    }
    const anomalyId = o.incident?.anomalyId ?? '';
    if (o.verdict !== Verdict.VERDICT_RECOVERED || !anomalyId) return { type: 'ok' };
    const ref = this.anomalies.get(anomalyId);
    const label = Label.fromPartial({
      meta: { id: deriveId('lbl', anomalyId, 'outcome'), parentId: anomalyId, component, timeMs: o.meta!.timeMs, source: 'trainer' },
      anomalyId,
      anomaly: true,
      actor: 'outcome',
      origin: 'outcome',
      reason: `recovered ${(o.timeToRecoverMs / 1000).toFixed(1)} s after ${o.incident?.action || 'the action'} (outcome ${o.meta!.id})`,
      model: ref?.model ?? DETECTOR_MODEL,
      modelVersion: ref?.modelVersion ?? '',
    });
    return { type: 'ok', outputs: [{ subject: eventSubject('label', component), data: EVENT_CODECS.label.encode(label), id: label.meta!.id }] };
  }

  private onLabel(l: EventPayloads['label']): HandleResult {
    const seen = this.labelled.get(l.anomalyId);
    if (l.origin === 'outcome' && seen === 'operator') return { type: 'ok' };
    this.labelled.set(l.anomalyId, l.origin === 'operator' ? 'operator' : (seen ?? 'outcome'));
    const ref = this.anomalies.get(l.anomalyId);
    // The detector only publishes what it flagged: every label is about a positive prediction.
    this.o.onFeedback(l.model || ref?.model || DETECTOR_MODEL, l.modelVersion || ref?.modelVersion || '', true, l.anomaly);
    return { type: 'ok' };
  }
}

import type { KV } from '@nats-io/kv';
import { ConsumerLoop, openKeyValue, toKvKey, type Bus, type HandleResult } from '@x0/bus';
import { EVENT_CODECS, STREAMS, eventFilter, eventSubject, Label, Verdict, type EventPayloads } from '@x0/contracts';
import { deriveId, errorMessage, LruMap } from '@x0/core';
import { hasParams } from '@x0/action-params';
import { DETECTOR_MODEL } from '@x0/model-serving';
import type { Logger, ServiceStats } from '@x0/service-kit';
import { ACTION_LOOKBACK_MS, advisedFeedback, decodeFeed, registryVersionOf, type Feed, type Feedback } from './feedback-events';
import { LabelStore } from './label-store';
import { firstSeqSince, readEventRange, replayNewestEventsOf } from './replay-newest';

export { registryVersionOf, type Feedback } from './feedback-events';

/** What the trainer remembers of an anomaly: where it was and which model raised it. */
export interface AnomalyRef {
  id: string;
  component: string;
  model: string;
  modelVersion: string;
  timeMs: number;
}

/**
 * The accuracy window a replay fills: `size` labelled predictions (the most recent; feedback
 * on the same key counts once) of those `counts` accepts (the champion's). A replay reads the
 * stored feedback from the newest back only until it holds that many.
 */
export interface ReplayWindow {
  size: number;
  counts(f: Feedback): boolean;
}

/** Options of {@link FeedbackTracker}. */
export interface FeedbackTrackerOptions {
  bus: Bus;
  logger: Logger;
  stats: ServiceStats;
  /** A labelled prediction of one version of a model. */
  onFeedback(feedback: Feedback): void;
  /** A verified outcome of a parametrised action on `component`. */
  onParamOutcome(component: string, action: string): void;
  /** Anomalies and actions remembered in memory for lookups (default 50,000 each). */
  indexSize?: number;
  /** How long anomalies and operator labels stay in the KV buckets `x0_trainer_anomalies` and `x0_trainer_labels` (default 30 days, the events' retention). */
  anomalyTtlMs?: number;
}

/** KV bucket where the trainer indexes anomalies by id (for labels after a restart). */
export const ANOMALY_INDEX_BUCKET = 'x0_trainer_anomalies';

/**
 * Turns the loop's events into feedback for the performance monitor:
 * - anomalies are indexed (component, model, version) so a label can name its model;
 * - an Outcome that recovered after an action confirms its anomaly: the trainer publishes a
 *   Label (origin `outcome`) on `x0.events.label.<component>` — before acking the outcome;
 * - every Label (operator or outcome) becomes a labelled prediction of the model version that
 *   raised the anomaly, keyed by the anomaly: a later label of the same anomaly replaces the
 *   earlier one (an operator's replaces an outcome's, a corrected verdict the first one); an
 *   outcome's label is skipped when an operator has labelled that anomaly (in memory, or in
 *   the label store after a restart);
 * - outcomes of parametrised actions count towards adapter retraining, and when execute
 *   recorded the advisor's probability in the action params, become labelled predictions of
 *   the action-parameter model (predicted recovery = probability >= 0.5).
 */
export class FeedbackTracker {
  /** The operator label in force per anomaly (KV `x0_trainer_labels`), shared with the Label RPC. */
  readonly labels: LabelStore;
  private readonly anomalies: LruMap<string, AnomalyRef>;
  private readonly actions: LruMap<string, EventPayloads['action']>;
  private readonly labelled: LruMap<string, 'operator' | 'outcome'>;
  private readonly consumer: ConsumerLoop<Feed>;
  private kv?: KV;

  constructor(private readonly o: FeedbackTrackerOptions) {
    const size = o.indexSize ?? 50_000;
    this.anomalies = new LruMap(size);
    this.actions = new LruMap(size);
    this.labelled = new LruMap(size);
    this.labels = new LabelStore({ bus: o.bus, ttlMs: o.anomalyTtlMs });
    // One durable over every event, in stream order: an outcome always finds its action and
    // a label its anomaly (nats-server 2.9 takes one filter subject per consumer).
    this.consumer = new ConsumerLoop<Feed>({
      bus: o.bus,
      service: 'trainer',
      durable: 'trainer-feedback',
      stream: STREAMS.events.name,
      filterSubject: eventFilter(),
      logger: o.logger,
      observer: o.stats,
      decode: (data, subject) => decodeFeed(data, subject),
      handleBatch: async (items) => {
        // In stream order: each event's in-memory effect happens before the next one is read. The
        // anomaly index writes of a batch go out together and are awaited once, at the end.
        const out: HandleResult[] = [];
        const writes: Array<Promise<void>> = [];
        const failed: unknown[] = [];
        for (const d of items) {
          if (d.value.type === 'anomaly') {
            // Caught at once (not only at the end), so a failure is never an unhandled rejection.
            writes.push(this.indexAnomaly(d.value.event).catch((err: unknown) => void failed.push(err)));
            out.push({ type: 'ok' });
          } else {
            out.push(await this.handle(d.value));
          }
        }
        await Promise.all(writes);
        // A failed write fails the batch: its inputs are retried (the index must hold every
        // anomaly a label may name; rewriting the others is harmless).
        if (failed.length > 0) throw failed[0];
        return out;
      },
    });
  }

  /** Opens (creates) the anomaly index and the label store, without consuming events yet; safe to call twice. */
  async open(): Promise<void> {
    this.kv ??= await openKeyValue(this.o.bus, ANOMALY_INDEX_BUCKET, { description: 'x0 trainer: anomalies by id', ttl: this.o.anomalyTtlMs ?? 30 * 86_400_000 });
    await this.labels.start();
  }

  /** Opens the stores and starts consuming the events. */
  async start(): Promise<void> {
    await this.open();
    await this.consumer.start();
  }

  /**
   * Replays the newest Label events stored in X0_EVENTS since `sinceMs` (operator and outcome
   * labels, in the order the consumer took them) that fill `window`, and hands `onFeedback`
   * what each gave, by the same rules as the live path (an outcome's label is skipped once an
   * operator has labelled the anomaly). Older labels are not read: they would have left the
   * window. For a restarted trainer: its accuracy window is rebuilt from them. Feedback the
   * live consumer delivers again has the same key, so it replaces rather than doubles.
   * Requires `open()`. Returns the number of labels read.
   */
  async replayLabels(sinceMs: number, window: ReplayWindow, onFeedback: (f: Feedback) => void): Promise<number> {
    const keys = new Set<string>();
    const labels = await replayNewestEventsOf(this.o.bus, 'label', {
      sinceMs,
      blockSize: window.size,
      enough: async (block) => {
        for (const { event } of block) {
          const f = await this.labelFeedback(event, false);
          if (f && window.counts(f)) keys.add(f.key);
        }
        return keys.size >= window.size;
      },
    });
    for (const { event } of labels) {
      const f = await this.labelFeedback(event);
      if (f) onFeedback(f);
    }
    return labels.length;
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }

  /**
   * Replays the newest Outcome events stored in X0_EVENTS since `sinceMs` whose labelled
   * predictions of the action-parameter model fill `window` (advised actions, joined with
   * their Action events from up to {@link ACTION_LOOKBACK_MS} earlier), and hands
   * `onFeedback` those predictions, as the live path does; older outcomes are not read.
   * Counts nothing towards adapter retraining. Returns the number of outcomes read.
   */
  async replayAdvisedOutcomes(sinceMs: number, window: ReplayWindow, onFeedback: (f: Feedback) => void): Promise<number> {
    const actions = new Map<string, EventPayloads['action']>();
    const keys = new Set<string>();
    // Each older block reads only the actions before those already read: its lookback overlaps the newer block's.
    let readFrom = Number.POSITIVE_INFINITY;
    const outcomes = await replayNewestEventsOf(this.o.bus, 'outcome', {
      sinceMs,
      blockSize: window.size,
      enough: async (block) => {
        if (block.length === 0) return false;
        readFrom = Math.min(readFrom, await this.readActions(block[0].storedMs - ACTION_LOOKBACK_MS, Math.min(block[block.length - 1].seq, readFrom - 1), actions));
        for (const { event } of block) {
          const f = advisedFeedback(event, actions.get(event.actionId));
          if (f && window.counts(f)) keys.add(f.key);
        }
        return keys.size >= window.size;
      },
    });
    for (const { event } of outcomes) {
      const f = advisedFeedback(event, actions.get(event.actionId));
      if (f) onFeedback(f);
    }
    return outcomes.length;
  }

  /**
   * Adds the parametrised Action events stored from `sinceMs` up to sequence `toSeq` to `into`
   * (by id); returns the first sequence read from (infinity when none is stored since `sinceMs`).
   */
  private async readActions(sinceMs: number, toSeq: number, into: Map<string, EventPayloads['action']>): Promise<number> {
    const from = await firstSeqSince(this.o.bus, 'action', sinceMs);
    if (from === undefined) return Number.POSITIVE_INFINITY;
    for (const { event } of await readEventRange(this.o.bus, 'action', from, toSeq)) if (hasParams(event.action)) into.set(event.meta!.id, event);
    return from;
  }

  /** An anomaly seen on the bus, from memory or the KV index (undefined when unknown or expired). */
  async anomaly(id: string): Promise<AnomalyRef | undefined> {
    const hit = this.anomalies.get(id);
    if (hit || !this.kv) return hit;
    const entry = await this.kv.get(toKvKey(id)).catch(() => null);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const ref = entry.json<AnomalyRef>();
    this.anomalies.set(id, ref);
    return ref;
  }

  private async handle(f: Feed): Promise<HandleResult> {
    switch (f.type) {
      case 'anomaly':
        await this.indexAnomaly(f.event);
        return { type: 'ok' };
      case 'action':
        return this.onAction(f.event);
      case 'outcome':
        return await this.onOutcome(f.event);
      case 'label':
        return await this.onLabel(f.event);
      default:
        return { type: 'ok' };
    }
  }

  /** Remembers an anomaly (at once) and writes it to the KV index (the promise; rejects when the write fails). */
  private indexAnomaly(a: EventPayloads['anomaly']): Promise<void> {
    const m = a.meta!;
    const ref: AnomalyRef = { id: m.id, component: m.component, model: DETECTOR_MODEL, modelVersion: a.modelVersion, timeMs: m.timeMs };
    this.anomalies.set(m.id, ref);
    return this.kv!.put(toKvKey(m.id), JSON.stringify(ref)).then(
      () => undefined,
      (err: unknown) => {
        throw new Error(`cannot index anomaly ${m.id}: ${errorMessage(err)}`);
      },
    );
  }

  private onAction(a: EventPayloads['action']): HandleResult {
    if (hasParams(a.action)) this.actions.set(a.meta!.id, a);
    return { type: 'ok' };
  }

  private async onOutcome(o: EventPayloads['outcome']): Promise<HandleResult> {
    const verified = o.verdict === Verdict.VERDICT_RECOVERED || o.verdict === Verdict.VERDICT_NOT_RECOVERED;
    const component = o.meta!.component;
    const action = this.actions.get(o.actionId);
    if (verified && action) this.o.onParamOutcome(component, action.action);
    const advised = advisedFeedback(o, action);
    if (advised) this.o.onFeedback(advised);
    const anomalyId = o.incident?.anomalyId ?? '';
    if (o.verdict !== Verdict.VERDICT_RECOVERED || !anomalyId) return { type: 'ok' };
    const ref = await this.anomaly(anomalyId);
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

  private async onLabel(l: EventPayloads['label']): Promise<HandleResult> {
    const f = await this.labelFeedback(l);
    if (f) this.o.onFeedback(f);
    return { type: 'ok' };
  }

  /**
   * The labelled prediction a Label gives; undefined for an outcome's label on an anomaly an
   * operator has labelled. `remember` false: the label is not taken as seen (a look ahead).
   */
  private async labelFeedback(l: EventPayloads['label'], remember = true): Promise<Feedback | undefined> {
    const seen = this.labelled.get(l.anomalyId);
    if (l.origin === 'outcome' && (seen === 'operator' || (seen === undefined && (await this.labels.get(l.anomalyId))))) return undefined;
    if (remember) this.labelled.set(l.anomalyId, l.origin === 'operator' ? 'operator' : (seen ?? 'outcome'));
    const ref = await this.anomaly(l.anomalyId);
    // The detector only publishes what it flagged: every label is about a positive prediction,
    // made by the version that raised the anomaly (not necessarily today's champion).
    const version = registryVersionOf(l.modelVersion || ref?.modelVersion || '');
    return { model: l.model || ref?.model || DETECTOR_MODEL, version, predicted: true, actual: l.anomaly, key: l.anomalyId };
  }
}

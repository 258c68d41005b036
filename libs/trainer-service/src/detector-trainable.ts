import type * as tf from '@tensorflow/tfjs';
import { FailedPreconditionError } from '@x0/core';
import { mergedAdapterModel } from '@x0/lora';
import { adapterModelName, DETECTOR_MODEL, forecasterModel, type ForecasterWeights } from '@x0/model-serving';
import { championAdapterModel, trainOnServingBase } from './champion-adapter';
import { DETECTOR_ADAPTER, fitDetectorAdapter } from './detector-adapter';
import { blockedHoldout, fitForecaster, forecastSets, huberLoss, type ForecastSet, type NormaliseWindows } from './forecast-data';
import { INCIDENT_MARGIN_MS, overlapsSpans, replayIncidentSpans, type IncidentSpan, type IncidentTiming } from './incident-spans';
import { replayMetrics, type MetricWindow } from './replay';
import { championOf, type ShippedModel, type TrainableModel, type TrainContext, type TrainOutcome } from './trainable';

/** What the detector trainable needs from @x0/anomaly: the shipped weights and the input normalisation. */
export interface DetectorBase {
  weights: ForecasterWeights;
  normalise: NormaliseWindows;
  /** Targets are clipped to ±clip, as in the detector. */
  clip: number;
}

/** Options of {@link detectorTrainable}. */
export interface DetectorTrainableOptions {
  base: DetectorBase;
  epochs: number;
  learningRate?: number;
  /** Fewest training windows a job needs (default 500). */
  minWindows?: number;
  /** Epochs of a component's adapter fine-tune (default 30, as measured: docs/lora.md). */
  adapterEpochs?: number;
  /** Fewest training windows of the component an adapter job needs (default 200). */
  minAdapterWindows?: number;
  /** How long an incident in the stored events lasts (see incidentSpansFromEvents). */
  incidents: IncidentTiming;
}

/**
 * The monitor's shared forecaster as a trainable model: a job replays the metric window
 * from X0_METRICS (every component: one base trained on many components), fine-tunes the
 * champion's weights on most of the window, and scores champion and challenger on the
 * held-out time blocks (every 4th, the newest included: `blockedHoldout`) by forecast Huber
 * loss in the detector's normalised units. Samples of the components' incidents (from the
 * anomaly and outcome events of the window, with a margin) are in neither set: the detector is
 * there to flag a fault, not to learn it as normal.
 *
 * A job with a component trains that component's LoRA adapter of the champion base instead
 * (registered as `detector--<component>`, see {@link trainAdapter}) on that component's
 * metrics only, with the same examples, incident exclusion and held-out blocks.
 */
export function detectorTrainable(o: DetectorTrainableOptions): TrainableModel {
  const L = o.base.weights.windowLength;
  return {
    model: DETECTOR_MODEL,
    perComponent: true,
    servedBy: 'monitor',
    shipped(): ShippedModel {
      const model = forecasterModel(o.base.weights);
      return {
        artifacts: model,
        signature: { inputShape: [L] },
        metrics: { params: model.countParams() },
        config: { source: '@x0/anomaly bundled base forecaster', baseVersion: o.base.weights.version, trainedOn: 'synthetic series (offline)' },
      };
    },
    async train(ctx: TrainContext): Promise<TrainOutcome> {
      const window = await replayMetrics(ctx.bus, {
        sinceMs: ctx.sinceMs,
        maxMessages: ctx.maxReplayMessages,
        components: ctx.component ? new Set([ctx.component]) : undefined,
        onProgress: (read, total) => ctx.progress('replay', read / Math.max(1, total)),
      });
      const incidents = await replayIncidentSpans(ctx.bus, { sinceMs: ctx.sinceMs, ...o.incidents });
      ctx.progress('replay', 1);
      const isHoldout = blockedHoldout(window.startMs, window.endMs, ctx.holdoutFraction);
      const inIncident = overlapsSpans(incidents, INCIDENT_MARGIN_MS);
      const sets = await forecastSets(window, { windowLength: L, normalise: o.base.normalise, clip: o.base.clip, isHoldout, inIncident });
      if (ctx.component) return trainAdapter(ctx, o, window, sets, incidents);
      const minWindows = o.minWindows ?? 500;
      if (sets.train.count < minWindows) {
        const left = sets.inIncidents > 0 ? ` (${sets.inIncidents} more were left out as incident samples)` : '';
        throw new FailedPreconditionError(`only ${sets.train.count} training windows in the last ${Math.round((ctx.untilMs - ctx.sinceMs) / 1000)} s of X0_METRICS${left}, at least ${minWindows} are needed`);
      }
      const champion = await championOf(ctx.registry, DETECTOR_MODEL);
      const load = async (): Promise<tf.LayersModel> => (champion ? ctx.registry.loadModel(DETECTOR_MODEL, champion.version) : forecasterModel(o.base.weights));
      const championModel = await load();
      const challenger = await load();
      try {
        const loss = await fitForecaster(challenger, sets.train, {
          windowLength: L,
          epochs: o.epochs,
          learningRate: o.learningRate,
          onEpoch: (epoch) => ctx.progress('train', (epoch + 1) / o.epochs),
        });
        ctx.progress('shadow', 0);
        const shadow = {
          metric: 'huber',
          champion: await huberLoss(championModel, sets.holdout, L),
          challenger: await huberLoss(challenger, sets.holdout, L),
          samples: sets.holdout.count,
          championVersion: champion?.version ?? '',
        };
        ctx.progress('shadow', 1);
        return {
          model: DETECTOR_MODEL,
          parentVersion: champion?.version ?? '',
          artifacts: challenger,
          signature: { inputShape: [L] },
          metrics: {
            train_loss: loss,
            train_windows: sets.train.count,
            holdout_windows: sets.holdout.count,
            incident_windows_excluded: sets.inIncidents,
            incidents_excluded: incidents.length,
            components: window.series.size,
          },
          config: { epochs: o.epochs, learningRate: o.learningRate ?? 0.001, holdoutFraction: ctx.holdoutFraction, incidentTailMs: o.incidents.tailMs, incidentMaxMs: o.incidents.maxIncidentMs ?? 0, incidentMarginMs: INCIDENT_MARGIN_MS },
          dataWindow: { startMs: window.startMs, endMs: window.endMs },
          shadow,
          dispose: () => challenger.dispose(),
        };
      } catch (err) {
        challenger.dispose();
        throw err;
      } finally {
        championModel.dispose();
      }
    },
  };
}

/**
 * A component's adapter job: a LoRA adapter ({@link DETECTOR_ADAPTER}) of the detector's champion base (the
 * shipped weights when there is none) fine-tuned on the component's examples
 * ({@link fitDetectorAdapter}), registered as `detector--<component>` with the signature of
 * the base weights it was trained on. Shadow: Huber loss on the component's held-out windows
 * of the component's champion adapter merged into the base (the base alone when there is
 * none for this base) against the challenger merged into the base. When the base's champion
 * moved while it trained, it trains again on the new one (at most 3 times in all).
 */
async function trainAdapter(ctx: TrainContext, o: DetectorTrainableOptions, window: MetricWindow, sets: { train: ForecastSet; holdout: ForecastSet; inIncidents: number }, incidents: IncidentSpan[]): Promise<TrainOutcome> {
  const min = o.minAdapterWindows ?? 200;
  if (sets.train.count < min) {
    const seconds = Math.round((ctx.untilMs - ctx.sinceMs) / 1000);
    const none = window.samples === 0 ? '; no metric of it was published in that time' : '';
    const left = sets.inIncidents > 0 ? `, ${sets.inIncidents} left out as incident samples` : '';
    throw new FailedPreconditionError(
      `only ${sets.train.count} training windows of component ${ctx.component} in the last ${seconds} s of X0_METRICS ` +
        `(${sets.holdout.count} more held out${left}), at least ${min} are needed for its adapter${none}: let it publish longer, or widen TRAINER_DATA_WINDOW_S`,
    );
  }
  // (the base's champion may move while it trains: see trainOnServingBase)
  return trainOnServingBase(ctx.registry, DETECTOR_MODEL, ctx.component, (baseVersion) => fitAdapterOn(ctx, o, window, sets, incidents, baseVersion));
}

/** One adapter fit and its shadow evaluation on `detector@baseVersion` ('' = the shipped weights). */
async function fitAdapterOn(ctx: TrainContext, o: DetectorTrainableOptions, window: MetricWindow, sets: { train: ForecastSet; holdout: ForecastSet; inIncidents: number }, incidents: IncidentSpan[], baseVersion: string): Promise<TrainOutcome> {
  const L = o.base.weights.windowLength;
  const epochs = o.adapterEpochs ?? 30;
  const model = adapterModelName(DETECTOR_MODEL, ctx.component);
  const base = baseVersion ? await ctx.registry.loadModel(DETECTOR_MODEL, baseVersion) : forecasterModel(o.base.weights);
  try {
    const champion = await championAdapterModel(ctx.registry, model, base);
    try {
      const fit = await fitDetectorAdapter(base, sets.train, { windowLength: L, epochs, onEpoch: (e) => ctx.progress('train', (e + 1) / epochs) });
      try {
        ctx.progress('shadow', 0);
        // The challenger as the monitor will serve it: the stored adapter loaded onto the base and merged.
        const challenger = await mergedAdapterModel(base, fit.adapter);
        let challengerLoss: number;
        try {
          challengerLoss = await huberLoss(challenger, sets.holdout, L);
        } finally {
          challenger.dispose();
        }
        const championLoss = await huberLoss(champion.model, sets.holdout, L);
        ctx.progress('shadow', 1);
        const { rank, alpha, layers, learningRate, batchSize } = DETECTOR_ADAPTER;
        return {
          model,
          parentVersion: champion.version,
          artifacts: fit.adapter,
          signature: { inputShape: [L], baseModelHash: fit.adapter.baseSignature, adapterRank: fit.adapter.rank },
          metrics: {
            train_loss: fit.loss,
            train_windows: sets.train.count,
            holdout_windows: sets.holdout.count,
            incident_windows_excluded: sets.inIncidents,
            incidents_excluded: incidents.filter((i) => i.component === ctx.component).length,
            trainable_params: fit.trainableParams,
            base_params: fit.baseParams,
            finetune_epoch_ms: fit.epochMs,
          },
          config: {
            rank,
            alpha,
            layers: layers.join(','),
            epochs,
            learningRate,
            batchSize,
            loss: 'huber',
            baseVersion,
            component: ctx.component,
            holdoutFraction: ctx.holdoutFraction,
            incidentTailMs: o.incidents.tailMs,
            incidentMaxMs: o.incidents.maxIncidentMs ?? 0,
            incidentMarginMs: INCIDENT_MARGIN_MS,
          },
          dataWindow: { startMs: window.startMs, endMs: window.endMs },
          shadow: { metric: 'huber', champion: championLoss, challenger: challengerLoss, samples: sets.holdout.count, championVersion: champion.version ? `adapter ${champion.version}` : '' },
          dispose: () => fit.adapter.dispose(),
        };
      } catch (err) {
        fit.adapter.dispose();
        throw err;
      }
    } finally {
      if (champion.model !== base) champion.model.dispose();
    }
  } finally {
    base.dispose();
  }
}

import type * as tf from '@tensorflow/tfjs';
import { FailedPreconditionError } from '@x0/core';
import { DETECTOR_MODEL, forecasterModel, type ForecasterWeights } from '@x0/model-serving';
import { blockedHoldout, fitForecaster, forecastSets, huberLoss, type NormaliseWindows } from './forecast-data';
import { INCIDENT_MARGIN_MS, overlapsSpans, replayIncidentSpans, type IncidentTiming } from './incident-spans';
import { replayMetrics } from './replay';
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
 */
export function detectorTrainable(o: DetectorTrainableOptions): TrainableModel {
  const L = o.base.weights.windowLength;
  return {
    model: DETECTOR_MODEL,
    perComponent: false,
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
        onProgress: (read, total) => ctx.progress('replay', read / Math.max(1, total)),
      });
      const incidents = await replayIncidentSpans(ctx.bus, { sinceMs: ctx.sinceMs, ...o.incidents });
      ctx.progress('replay', 1);
      const isHoldout = blockedHoldout(window.startMs, window.endMs, ctx.holdoutFraction);
      const inIncident = overlapsSpans(incidents, INCIDENT_MARGIN_MS);
      const sets = await forecastSets(window, { windowLength: L, normalise: o.base.normalise, clip: o.base.clip, isHoldout, inIncident });
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

import type * as tf from '@tensorflow/tfjs';
import {
  ACTION_PARAMS_MODEL,
  FEATURE_DIM,
  evaluate,
  fineTuneAdapter,
  fitModel,
  loadShippedBase,
  shippedBaseArtifacts,
  trajectoriesFromEvents,
  type Trajectory,
} from '@x0/action-params';
import { FailedPreconditionError } from '@x0/core';
import { mergedAdapterModel } from '@x0/lora';
import { adapterModelName } from '@x0/model-serving';
import { championAdapterModel, trainOnServingBase } from './champion-adapter';
import { replayEvents } from './replay';
import { championOf, type ShippedModel, type TrainableModel, type TrainContext, type TrainOutcome } from './trainable';

/** Options of {@link actionParamsTrainable}. */
export interface ActionParamsTrainableOptions {
  /** Epochs of an adapter fine-tune (a base retrain uses a quarter). */
  epochs: number;
  /** Fewest training trajectories a job needs (default 10). */
  minTrajectories?: number;
}

/**
 * Execute's action-parameter model as a trainable: a job replays actions and outcomes
 * from X0_EVENTS into trajectories (params used → recovered?), holds out every 4th block of
 * them in time (the newest included),
 * and either fine-tunes a component's LoRA adapter on the champion base (job with a
 * component; registered as `action-params--<component>`) or retrains the base on every
 * component (job without one). Shadow metric: log-loss of the recovery predictions.
 */
export function actionParamsTrainable(o: ActionParamsTrainableOptions): TrainableModel {
  return {
    model: ACTION_PARAMS_MODEL,
    perComponent: true,
    servedBy: 'execute',
    shipped(): ShippedModel {
      return {
        artifacts: shippedBaseArtifacts(),
        signature: { inputShape: [FEATURE_DIM] },
        metrics: {},
        config: { source: '@x0/action-params bundled base', trainedOn: 'synthetic prior (scripts/train-base.ts)' },
      };
    },
    async train(ctx: TrainContext): Promise<TrainOutcome> {
      const events = await replayEvents(ctx.bus, { sinceMs: ctx.sinceMs, onProgress: (r, t) => ctx.progress('replay', r / Math.max(1, t)) });
      let all = trajectoriesFromEvents(events.actions, events.outcomes).sort((a, b) => a.timeMs - b.timeMs);
      if (ctx.component) all = all.filter((t) => t.component === ctx.component);
      ctx.progress('replay', 1);
      // Blocked split by time (as for the detector): every k-th block of outcomes, the newest included.
      const k = Math.max(2, Math.round(1 / ctx.holdoutFraction));
      const blocks = Math.min(16, Math.max(k, Math.floor(all.length / 4)));
      const blockOf = (i: number) => Math.floor((i * blocks) / Math.max(1, all.length));
      const held = (i: number) => (blocks - 1 - blockOf(i)) % k === 0;
      const trainSet = all.filter((_, i) => !held(i));
      const holdout = all.filter((_, i) => held(i));
      const min = o.minTrajectories ?? 10;
      if (trainSet.length < min) {
        const who = ctx.component ? `component ${ctx.component}` : 'all components';
        const outcomes = trainSet.length === 1 ? 'outcome' : 'outcomes';
        throw new FailedPreconditionError(
          `only ${trainSet.length} training ${outcomes} of parametrised actions for ${who} in the data window (${all.length} in all, ${holdout.length} held out), at least ${min} are needed: ` +
            'let the loop act (scale_up/throttle with params; dry runs do not count), or widen TRAINER_DATA_WINDOW_S',
        );
      }
      const common = { trainSet, holdout, dataWindow: { startMs: all[0].timeMs, endMs: all[all.length - 1].timeMs } };
      const withBase = async (version: string, train: (base: tf.LayersModel) => Promise<TrainOutcome>): Promise<TrainOutcome> => {
        const base = version ? await ctx.registry.loadModel(ACTION_PARAMS_MODEL, version) : await loadShippedBase();
        try {
          return await train(base);
        } finally {
          base.dispose();
        }
      };
      if (!ctx.component) {
        const version = (await championOf(ctx.registry, ACTION_PARAMS_MODEL))?.version ?? '';
        return withBase(version, (base) => retrainBase(ctx, o, base, version, common));
      }
      return trainOnServingBase(ctx.registry, ACTION_PARAMS_MODEL, ctx.component, (version) => withBase(version, (base) => trainAdapter(ctx, o, base, version, common)));
    },
  };
}

interface Split {
  trainSet: Trajectory[];
  holdout: Trajectory[];
  dataWindow: { startMs: number; endMs: number };
}

async function trainAdapter(ctx: TrainContext, o: ActionParamsTrainableOptions, base: tf.LayersModel, baseVersion: string, s: Split): Promise<TrainOutcome> {
  const model = adapterModelName(ACTION_PARAMS_MODEL, ctx.component);
  const championModel = await championAdapterModel(ctx.registry, model, base);
  const { adapter, loss, trainableParams, baseParams } = await fineTuneAdapter(base, s.trainSet, {
    epochs: o.epochs,
    onEpoch: (e) => ctx.progress('train', (e + 1) / o.epochs),
  });
  try {
    ctx.progress('shadow', 0);
    const challenger = await mergedAdapterModel(base, adapter);
    const champ = evaluate(championModel.model, s.holdout);
    const chall = evaluate(challenger, s.holdout);
    challenger.dispose();
    ctx.progress('shadow', 1);
    return {
      model,
      parentVersion: championModel.version,
      artifacts: adapter,
      signature: { inputShape: [FEATURE_DIM], baseModelHash: adapter.baseSignature, adapterRank: adapter.rank },
      metrics: { train_loss: loss, train_outcomes: s.trainSet.length, holdout_outcomes: s.holdout.length, challenger_accuracy: chall.accuracy, trainable_params: trainableParams, base_params: baseParams },
      config: { epochs: o.epochs, rank: adapter.rank, baseVersion, component: ctx.component },
      dataWindow: s.dataWindow,
      shadow: { metric: 'log_loss', champion: champ.logLoss, challenger: chall.logLoss, samples: chall.samples, championVersion: championModel.version ? `adapter ${championModel.version}` : '' },
      dispose: () => adapter.dispose(),
    };
  } catch (err) {
    adapter.dispose();
    throw err;
  } finally {
    if (championModel.model !== base) championModel.model.dispose();
  }
}

async function retrainBase(ctx: TrainContext, o: ActionParamsTrainableOptions, base: tf.LayersModel, baseVersion: string, s: Split): Promise<TrainOutcome> {
  // Fine-tune a copy of the champion base on every component's outcomes.
  const challenger = baseVersion ? await ctx.registry.loadModel(ACTION_PARAMS_MODEL, baseVersion) : await loadShippedBase();
  const epochs = Math.max(1, Math.round(o.epochs / 4));
  try {
    const loss = await fitModel(challenger, s.trainSet, { epochs, learningRate: 0.003, onEpoch: (e) => ctx.progress('train', (e + 1) / epochs) });
    const champ = evaluate(base, s.holdout);
    const chall = evaluate(challenger, s.holdout);
    return {
      model: ACTION_PARAMS_MODEL,
      parentVersion: baseVersion,
      artifacts: challenger,
      signature: { inputShape: [FEATURE_DIM] },
      metrics: { train_loss: loss, train_outcomes: s.trainSet.length, holdout_outcomes: s.holdout.length, challenger_accuracy: chall.accuracy },
      config: { epochs, learningRate: 0.003 },
      dataWindow: s.dataWindow,
      shadow: { metric: 'log_loss', champion: champ.logLoss, challenger: chall.logLoss, samples: chall.samples, championVersion: baseVersion },
      dispose: () => challenger.dispose(),
    };
  } catch (err) {
    challenger.dispose();
    throw err;
  }
}

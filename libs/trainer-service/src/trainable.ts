import type { Bus } from '@x0/bus';
import type { ArtifactSource, ModelRegistry, ModelSignature, ModelVersionView } from '@x0/model-registry';
import type { ShadowScores } from './shadow';

/** Stages of a job, in order, with the share of the progress bar each one takes. */
export const STAGES = { replay: [0, 0.15], train: [0.15, 0.8], shadow: [0.8, 0.9], register: [0.9, 1] } as const;
export type Stage = keyof typeof STAGES | 'done';

/** What a trainable gets for one job. */
export interface TrainContext {
  jobId: string;
  /** Component of a per-component adapter job; '' for the shared model. */
  component: string;
  bus: Bus;
  registry: ModelRegistry;
  /** Data window: [sinceMs, untilMs]. */
  sinceMs: number;
  untilMs: number;
  /** Share of the window (the newest part) held out for the shadow evaluation. */
  holdoutFraction: number;
  maxReplayMessages: number;
  /** Reports progress within a stage (fraction 0..1 of that stage). */
  progress(stage: keyof typeof STAGES, fraction: number): void;
}

/** What a trainable hands back: the challenger, and how it and the champion scored in shadow. */
export interface TrainOutcome {
  /** Registry model the challenger belongs to (the base, or its per-component adapter model). */
  model: string;
  /** Version the challenger was trained from ('' for none). */
  parentVersion: string;
  artifacts: ArtifactSource;
  signature: ModelSignature;
  /** Training figures (loss, samples...). */
  metrics: Record<string, number>;
  config: Record<string, unknown>;
  dataWindow: { startMs: number; endMs: number };
  shadow: ShadowScores;
  /** Frees what the outcome holds (tensors) once registered. */
  dispose(): void;
}

/** The version registered on first start so `x0 models ls` is never empty. */
export interface ShippedModel {
  artifacts: ArtifactSource;
  signature: ModelSignature;
  metrics: Record<string, number>;
  config: Record<string, unknown>;
}

/**
 * A model the trainer can (re)train. `model` is its registry name; per-component models
 * keep their adapters under `adapterModelName(model, component)`.
 */
export interface TrainableModel {
  readonly model: string;
  /** True when jobs may name a component (per-component LoRA adapters). */
  readonly perComponent: boolean;
  /** Service that serves it (its dead letters count against the model's error rate). */
  readonly servedBy: string;
  shipped(): ShippedModel;
  train(ctx: TrainContext): Promise<TrainOutcome>;
}

/** Champion of a registry model, or undefined when it has none yet. */
export async function championOf(registry: ModelRegistry, model: string): Promise<ModelVersionView | undefined> {
  const alias = await registry.alias(model, 'champion').catch(() => undefined);
  return alias ? registry.get(model, alias.version) : undefined;
}

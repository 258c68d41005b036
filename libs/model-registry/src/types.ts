/** What a version's inputs look like and what it was built on. */
export interface ModelSignature {
  /** Input shape without the batch dimension, e.g. `[64]`. */
  inputShape: number[];
  /** Hash of the base model's weights (`baseModelSignature()` of @x0/lora); for an adapter, the base it adapts. */
  baseModelHash?: string;
  /** LoRA rank, for adapters. */
  adapterRank?: number;
}

/** Where a version came from. */
export interface ModelLineage {
  /** Time window of the training data, ms since the epoch. */
  dataWindow?: { startMs: number; endMs: number };
  /** Version this one was trained from (fine-tuned, retrained). */
  parentVersion?: string;
  /** Training configuration (epochs, learning rate, rank...): JSON values only. */
  config?: Record<string, unknown>;
}

/** One immutable registered version. */
export interface ModelVersionRecord {
  model: string;
  version: string;
  /** Component an adapter is for; '' for a shared model. Also the `component` of its events. */
  component: string;
  /** `format` of the stored artifacts: 'layers-model' for a tfjs model, 'x0-lora-adapter' for an adapter. */
  format: string;
  metrics: Record<string, number>;
  signature: ModelSignature;
  lineage: ModelLineage;
  createdMs: number;
  /** Bytes stored in the Object Store (topology JSON + weights). */
  sizeBytes: number;
  /** Object Store name prefix of the artifacts (`<prefix>/model.json`, `<prefix>/weights.bin`). */
  artifactPrefix: string;
}

/** A version with the aliases that point at it when it was read. */
export interface ModelVersionView extends ModelVersionRecord {
  aliases: string[];
}

/** One move of an alias, oldest first in `AliasState.history`. */
export interface AliasHistoryEntry {
  type: 'promote' | 'rollback';
  version: string;
  /** Holder before the move; '' when the alias was new. */
  previousVersion: string;
  timeMs: number;
  /** Why (e.g. the shadow evaluation's verdict); '' when not given. */
  reason: string;
  /** Who moved it (an operator); '' for the trainer's own moves. Absent in entries written before it was kept. */
  actor?: string;
}

/** Where an alias points now and how it got there. */
export interface AliasState {
  model: string;
  alias: string;
  version: string;
  /** Earlier holders a rollback returns to, most recent last. */
  previous: string[];
  /** Every move, oldest first (capped at the most recent `HISTORY_LIMIT`). */
  history: AliasHistoryEntry[];
  /** KV revision of this state; increases with every move. */
  revision: number;
}

/** Reported to an alias watcher and returned by promote/rollback. */
export interface AliasChange {
  model: string;
  alias: string;
  version: string;
  previousVersion: string;
  type: 'promote' | 'rollback';
  timeMs: number;
  reason: string;
  /** Who moved it ('' for the trainer's own moves); always set by the registry. */
  actor: string;
  revision: number;
}

/** Model events on `x0.models.updated` (`ModelEvent.type`). */
export type ModelEventType = 'registered' | 'alias_changed';

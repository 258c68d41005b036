import * as tf from '@tensorflow/tfjs';
import { baseModelSignature, mergedAdapterModel, type LoRAAdapter } from '@x0/lora';
import { gridWithin, hasParams, type IncidentFeatures, type ParamBounds } from './action-space';
import { ACTION_PARAMS_MODEL, suggestFrom, type SuggestOptions, type Suggestion } from './action-params-model';
import { DenseForward } from './dense-forward';

/** A suggestion with the model versions that made it (for the action's audit record). */
export interface AdvisedParams extends Suggestion {
  model: string;
  /** Base version. */
  version: string;
  /** Version of the component's adapter ('' when the base alone decided). */
  adapterVersion: string;
}

/**
 * What the execute phase asks: the parameters of `action` for `component` in this incident.
 * Undefined when the action has no tunable parameter, no model is loaded yet, or `bounds`
 * (what the executor accepts) leave no value (keep the plan's own params then). Synchronous
 * and cheap (one forward pass over the grid).
 */
export interface ActionParamsAdvisor {
  suggest(component: string, action: string, incident: IncidentFeatures, bounds?: ParamBounds): AdvisedParams | undefined;
}

interface AdapterEntry {
  adapter: LoRAAdapter;
  version: string;
  /** base + adapter merged into plain Dense layers; undefined when trained on another base. */
  merged?: tf.LayersModel;
  /** The merged model's forward pass in JavaScript (undefined: use tfjs). */
  mergedForward?: DenseForward;
}

/**
 * In-memory advisor: one base model and per-component LoRA adapters merged into it (so
 * a component's inference costs what the base costs). Owns every model and adapter given
 * to it and disposes them when replaced or on `dispose()`. Adapters trained on another
 * base are kept but not used until that base is back (e.g. after a rollback).
 */
export class ActionParamsModels implements ActionParamsAdvisor {
  private base?: { model: tf.LayersModel; version: string; signature: string; forward?: DenseForward };
  private readonly adapters = new Map<string, AdapterEntry>();

  constructor(private readonly options: SuggestOptions & { model?: string } = {}) {}

  /** Base version in use ('' when none). */
  get baseVersion(): string {
    return this.base?.version ?? '';
  }

  /** Adapter version of a component in use ('' when none applies to the current base). */
  adapterVersion(component: string): string {
    const a = this.adapters.get(component);
    return a?.merged ? a.version : '';
  }

  /** Replaces the base (taking ownership) and re-merges the adapters that were trained on it. */
  async setBase(model: tf.LayersModel, version: string): Promise<void> {
    const previous = this.base;
    // Served models do not change: suggestions run on a JavaScript snapshot of their weights.
    this.base = { model, version, signature: baseModelSignature(model), forward: DenseForward.fromModel(model) };
    for (const entry of this.adapters.values()) await this.remerge(entry);
    previous?.model.dispose();
  }

  /**
   * Adds or replaces a component's adapter (taking ownership). Returns false when it was
   * trained on another base than the one in use (kept, unused, until that base is back).
   */
  async setAdapter(component: string, adapter: LoRAAdapter, version: string): Promise<boolean> {
    const entry: AdapterEntry = { adapter, version };
    await this.remerge(entry);
    const previous = this.adapters.get(component);
    this.adapters.set(component, entry);
    if (previous) disposeEntry(previous);
    return entry.merged !== undefined;
  }

  /** Forgets a component's adapter. */
  removeAdapter(component: string): void {
    const entry = this.adapters.get(component);
    if (entry) disposeEntry(entry);
    this.adapters.delete(component);
  }

  suggest(component: string, action: string, incident: IncidentFeatures, bounds?: ParamBounds): AdvisedParams | undefined {
    if (!this.base || !hasParams(action) || gridWithin(action, bounds).length === 0) return undefined;
    const entry = this.adapters.get(component);
    const model = entry?.merged ? (entry.mergedForward ?? entry.merged) : (this.base.forward ?? this.base.model);
    return {
      ...suggestFrom(model, action, incident, { ...this.options, bounds }),
      model: this.options.model ?? ACTION_PARAMS_MODEL,
      version: this.base.version,
      adapterVersion: entry?.merged ? entry.version : '',
    };
  }

  /** Frees every model and adapter. Safe to call twice. */
  dispose(): void {
    for (const entry of this.adapters.values()) disposeEntry(entry);
    this.adapters.clear();
    this.base?.model.dispose();
    this.base = undefined;
  }

  private async remerge(entry: AdapterEntry): Promise<void> {
    entry.merged?.dispose();
    entry.merged = undefined;
    entry.mergedForward = undefined;
    if (!this.base || entry.adapter.baseSignature !== this.base.signature) return;
    entry.merged = await mergedAdapterModel(this.base.model, entry.adapter);
    entry.mergedForward = DenseForward.fromModel(entry.merged);
  }
}

function disposeEntry(entry: AdapterEntry): void {
  entry.merged?.dispose();
  entry.adapter.dispose();
}

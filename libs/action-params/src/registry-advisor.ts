import type * as tf from '@tensorflow/tfjs';
import { errorMessage, LruMap } from '@x0/core';
import { readAdapter, type LoRAAdapter } from '@x0/lora';
import type { AliasedModelsWatch, ModelRegistry } from '@x0/model-registry';
import { adapterModelName, ServedModel, type SwapInfo } from '@x0/model-serving';
import type { IncidentFeatures } from './action-space';
import { ACTION_PARAMS_MODEL, type SuggestOptions } from './action-params-model';
import { ActionParamsModels, type ActionParamsAdvisor, type AdvisedParams } from './advisor';

/** Options of {@link RegistryActionParamsAdvisor}. */
export interface RegistryAdvisorOptions extends SuggestOptions {
  registry: ModelRegistry;
  /** Base model name (default 'action-params'); adapters are `<base>--<component>`. */
  model?: string;
  /** Alias served (default 'champion'). */
  alias?: string;
  onSwap?(info: SwapInfo): void;
  onError?(err: unknown): void;
  /** Wait before following an adapter again after its watch could not start (default 10 s). */
  retryMs?: number;
}

/**
 * The advisor execute runs: the champion base from the registry and, per component that has
 * one, that component's champion adapter (`action-params--<component>`), each followed with
 * a ServedModel, so a promotion or a rollback takes effect without a restart. Which adapters
 * exist comes from one watch over every model's alias (not one per component), so a
 * component without an adapter costs nothing but a set lookup; a component's adapter is
 * loaded once it exists and the component has been asked about. Until it is loaded (or
 * when there is none) the base alone answers.
 */
export class RegistryActionParamsAdvisor implements ActionParamsAdvisor {
  private readonly models: ActionParamsModels;
  private readonly base: ServedModel<tf.LayersModel>;
  private readonly adapters = new Map<string, ServedModel<LoRAAdapter>>();
  private readonly model: string;
  /** Adapter model names of components asked about (adapter name → component), bounded. */
  private readonly asked = new LruMap<string, string>(100_000);
  private aliased?: AliasedModelsWatch;
  private stopped = false;
  private readonly retryMs: number;

  constructor(private readonly o: RegistryAdvisorOptions) {
    this.retryMs = o.retryMs ?? 10_000;
    this.model = o.model ?? ACTION_PARAMS_MODEL;
    this.models = new ActionParamsModels({ targetProbability: o.targetProbability, model: this.model });
    this.base = new ServedModel<tf.LayersModel>({
      registry: o.registry,
      model: this.model,
      alias: o.alias,
      load: (version) => o.registry.loadModel(this.model, version),
      // The advisor owns the loaded models (setBase takes them): nothing to dispose here.
      onSwap: (info) => {
        const m = this.base.current;
        if (m) this.models.setBase(m, info.version).then(() => o.onSwap?.(info), (err) => o.onError?.(err));
      },
      onError: (err) => o.onError?.(err),
    });
  }

  /** Base version serving ('' before the first load). */
  get baseVersion(): string {
    return this.models.baseVersion;
  }

  /** Adapter version serving for a component ('' when none applies). */
  adapterVersion(component: string): string {
    return this.models.adapterVersion(component);
  }

  /** Loads the champion base, starts following it, and learns which components have adapters. */
  async start(): Promise<void> {
    await this.base.start();
    this.aliased = await this.o.registry.watchAliasedModels(
      (model) => {
        const component = this.asked.get(model);
        if (component !== undefined) this.follow(component);
      },
      this.o.alias,
      { onError: (err) => this.o.onError?.(err) },
    );
  }

  /** Starts following a component's adapter now (suggest() does it once the adapter exists); resolves once loaded. */
  async watchComponent(component: string): Promise<void> {
    if (this.adapters.has(component) || this.stopped) return;
    const name = adapterModelName(this.model, component);
    const served = new ServedModel<LoRAAdapter>({
      registry: this.o.registry,
      model: name,
      alias: this.o.alias,
      load: async (version) => readAdapter(await this.o.registry.artifacts(name, version)),
      onSwap: (info) => {
        const adapter = served.current;
        if (!adapter) return;
        this.models.setAdapter(component, adapter, info.version).then(
          (used) => {
            if (!used) this.o.onError?.(new Error(`adapter ${name}@${info.version} was trained on another base than ${this.model}@${this.baseVersion}; the base alone serves ${component}`));
            this.o.onSwap?.(info);
          },
          (err) => this.o.onError?.(err),
        );
      },
      onError: (err) => this.o.onError?.(err),
    });
    this.adapters.set(component, served);
    try {
      await served.start();
    } catch (err) {
      // (not left in the map: the component's adapter is followed again on the next try)
      if (this.adapters.get(component) === served) this.adapters.delete(component);
      await served.stop().catch(() => undefined);
      throw err;
    }
  }

  suggest(component: string, action: string, incident: IncidentFeatures): AdvisedParams | undefined {
    if (!this.adapters.has(component)) {
      const name = adapterModelName(this.model, component);
      this.asked.set(name, component);
      // Before start() (no alias watch yet) every component is followed, as it cannot be known which have adapters.
      if (!this.aliased || this.aliased.models.has(name)) this.follow(component);
    }
    return this.models.suggest(component, action, incident);
  }

  private follow(component: string): void {
    if (this.adapters.has(component) || this.stopped) return;
    this.watchComponent(component).catch((err) => {
      this.o.onError?.(new Error(`cannot watch adapter of ${component} (trying again in ${Math.round(this.retryMs / 1000)} s): ${errorMessage(err)}`));
      if (!this.stopped) setTimeout(() => this.follow(component), this.retryMs).unref();
    });
  }

  /** Stops every watch and frees the models. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([this.base.stop(), this.aliased?.stop(), ...[...this.adapters.values()].map((a) => a.stop())]);
    this.models.dispose();
  }
}

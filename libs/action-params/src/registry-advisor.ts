import type * as tf from '@tensorflow/tfjs';
import type { ModelRegistry } from '@x0/model-registry';
import { adapterModelName, ComponentAdapters, ServedModel, type SwapInfo } from '@x0/model-serving';
import type { IncidentFeatures, ParamBounds } from './action-space';
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
  private readonly adapters: ComponentAdapters;
  private readonly model: string;
  private stopped = false;

  constructor(private readonly o: RegistryAdvisorOptions) {
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
    // The advisor's models own the adapters (setAdapter): the watches do not dispose them.
    this.adapters = new ComponentAdapters({
      registry: o.registry,
      baseModel: this.model,
      alias: o.alias,
      retryMs: o.retryMs,
      disposeRetired: false,
      onSwap: (component, adapter, info) => {
        const name = adapterModelName(this.model, component);
        this.models.setAdapter(component, adapter, info.version).then(
          (used) => {
            if (!used) this.o.onError?.(new Error(`adapter ${name}@${info.version} was trained on another base than ${this.model}@${this.baseVersion}; the base alone serves ${component}`));
            this.o.onSwap?.(info);
          },
          (err) => this.o.onError?.(err),
        );
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
    await this.adapters.watchAliased();
  }

  suggest(component: string, action: string, incident: IncidentFeatures, bounds?: ParamBounds): AdvisedParams | undefined {
    if (!this.adapters.has(component)) {
      const noted = this.adapters.note(component);
      // Before start() (no alias watch yet) every component is followed, as it cannot be known which have adapters.
      if (noted && (!noted.known || noted.aliased)) this.adapters.follow(component);
    }
    return this.models.suggest(component, action, incident, bounds);
  }

  /** Stops every watch and frees the models. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([this.base.stop(), this.adapters.stop()]);
    this.models.dispose();
  }
}

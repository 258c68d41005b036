import type { AnomalyDetector } from '@x0/anomaly';
import { errorMessage } from '@x0/core';
import { baseModelSignature, mergedAdapterModel, type LoRAAdapter } from '@x0/lora';
import type { ModelRegistry } from '@x0/model-registry';
import { adapterModelName, ComponentAdapters, DETECTOR_MODEL, forecasterModel, forecasterWeights, type ForecasterWeights, type SwapInfo } from '@x0/model-serving';

/** Options of {@link DetectorAdapters}. */
export interface DetectorAdaptersOptions {
  registry: ModelRegistry;
  detector: Pick<AnomalyDetector, 'setComponentForecaster'>;
  /** The shared forecaster's weights serving now (the champion's, or the bundled ones). */
  base(): ForecasterWeights;
  /** Alias served (default 'champion'). */
  alias?: string;
  /** Wait before following an adapter again after its watch could not start (default 10 s). */
  retryMs?: number;
  /** A component's adapter now serves (merged into the base), or stopped serving (`version` ''). */
  onApplied?(info: AdapterApplied): void;
  onError?(err: unknown): void;
}

/** What {@link DetectorAdapters} reports when a component's forecaster changes. */
export interface AdapterApplied {
  component: string;
  /** Registry model of the adapter (`detector--<component>`). */
  model: string;
  /** Adapter version serving; '' when the component went back to the shared model. */
  version: string;
  /** Version of the shared base it is merged into. */
  baseVersion: string;
  /** Why the shared model serves the component although it has an adapter (e.g. another base). */
  skipped?: string;
  /** With `skipped`: the adapter version that is not applied. */
  skippedVersion?: string;
  /** The alias move that caused it (undefined when the base changed). */
  swap?: SwapInfo;
}

/**
 * Serves the detector's per-component LoRA adapters: for each component the monitor scores
 * that has a champion adapter (`detector--<component>`, trained by `x0 train detector
 * --component <c>`), the adapter merged into the shared base the monitor serves becomes that
 * component's forecaster (`AnomalyDetector.setComponentForecaster`). Which adapters exist
 * comes from one watch over every model's alias; a component's adapter is followed (a
 * ServedModel, so a promotion or rollback takes effect without a restart) once the component
 * has been seen and the adapter exists. An adapter trained on another base than the one
 * serving is not applied — the shared model serves that component, and `onApplied` says why —
 * and when the base changes every adapter is merged again into the new one (or dropped).
 */
export class DetectorAdapters {
  private readonly adapters: ComponentAdapters;
  /** One merge at a time (each reads the base and the adapter serving when it runs). */
  private applying: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: DetectorAdaptersOptions) {
    this.adapters = new ComponentAdapters({
      registry: o.registry,
      baseModel: DETECTOR_MODEL,
      alias: o.alias,
      retryMs: o.retryMs,
      disposeRetired: true,
      onSwap: (component, _adapter, info) => void this.enqueue(() => this.apply(component, info)),
      onError: (err) => o.onError?.(err),
    });
  }

  /** Starts learning which components have adapters. */
  start(): Promise<void> {
    return this.adapters.watchAliased();
  }

  /** A component the monitor scores (called once per component): its adapter is followed once it exists. */
  noteComponent(component: string): void {
    if (this.stopped || this.adapters.has(component)) return;
    if (this.adapters.note(component)?.aliased) this.adapters.follow(component);
  }

  /**
   * Components the monitor scored before a restart (their restored state): each one's adapter
   * is followed and applied before this resolves, so it serves from the component's first batch
   * on — the backlog published while the monitor was down included — rather than from a moment
   * after it. Call after `start()`.
   */
  async preload(components: Iterable<string>): Promise<void> {
    if (this.stopped || !this.adapters.anyAliased()) return;
    const pending: Promise<void>[] = [];
    for (const component of components) {
      if (this.adapters.note(component)?.aliased) {
        // (one that cannot start now is followed again on the component's first batch)
        pending.push(this.watchComponent(component).catch((err) => this.o.onError?.(new Error(`cannot watch the detector adapter of ${component}: ${errorMessage(err)}`))));
      }
    }
    await Promise.all(pending);
  }

  /** Components with an adapter followed (serving or not). */
  get followed(): number {
    return this.adapters.size;
  }

  /** The shared base changed: every adapter is merged again into the new one. Resolves when done. */
  baseChanged(): Promise<void> {
    return this.enqueue(async () => {
      for (const component of [...this.adapters.components()]) await this.apply(component);
    });
  }

  /** Starts following a component's adapter now; resolves once its current version is applied. Throws when the watch cannot start. */
  async watchComponent(component: string): Promise<void> {
    if (this.stopped) return;
    await this.adapters.watch(component);
    await this.applying;
  }

  /** Stops every watch, frees the adapters; the components keep the forecasters they have. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.applying;
    await this.adapters.stop();
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.applying.then(task).catch((err) => this.o.onError?.(err));
    this.applying = run;
    return run;
  }

  /** Merges the component's serving adapter into the serving base and hands it to the detector. */
  private async apply(component: string, swap?: SwapInfo): Promise<void> {
    if (this.stopped) return;
    const lease = this.adapters.acquire(component);
    const name = adapterModelName(DETECTOR_MODEL, component);
    const base = this.o.base();
    if (!lease) return;
    let merged: ForecasterWeights | string;
    try {
      merged = await mergedWeights(base, lease.model, `${base.version}+${name}@${lease.version}`);
      if (typeof merged !== 'string') this.o.detector.setComponentForecaster(component, merged);
    } catch (err) {
      // (never the weights merged into a base that no longer serves)
      merged = `cannot merge ${name}@${lease.version} into the base ${base.version}: ${errorMessage(err)}`;
    } finally {
      lease.release();
    }
    if (typeof merged === 'string') {
      this.o.detector.setComponentForecaster(component, undefined);
      this.o.onApplied?.({ component, model: name, version: '', baseVersion: base.version, skipped: merged, skippedVersion: lease.version, swap });
      return;
    }
    this.o.onApplied?.({ component, model: name, version: lease.version, baseVersion: base.version, swap });
  }
}

/**
 * The forecaster weights of `adapter` merged into `base`, or why it does not apply (an adapter
 * trained on other base weights).
 */
export async function mergedWeights(base: ForecasterWeights, adapter: LoRAAdapter, version: string): Promise<ForecasterWeights | string> {
  if (adapter.baseSignature !== baseSignature(base)) {
    return `the adapter was trained on other base weights than the detector serves (${base.version}): the shared model serves the component until an adapter is trained on this base`;
  }
  const baseModel = forecasterModel(base);
  try {
    const merged = await mergedAdapterModel(baseModel, adapter);
    try {
      return forecasterWeights(merged, version);
    } finally {
      merged.dispose();
    }
  } finally {
    baseModel.dispose();
  }
}

/** Signatures of the bases served, computed once per base object (weights are never changed in place; a base change re-merges every component's adapter). */
const signatures = new WeakMap<ForecasterWeights, string>();

function baseSignature(base: ForecasterWeights): string {
  let signature = signatures.get(base);
  if (signature === undefined) {
    const model = forecasterModel(base);
    try {
      signature = baseModelSignature(model);
    } finally {
      model.dispose();
    }
    signatures.set(base, signature);
  }
  return signature;
}

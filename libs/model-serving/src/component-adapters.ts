import { errorMessage, LruMap } from '@x0/core';
import { readAdapter, type LoRAAdapter } from '@x0/lora';
import type { AliasedModelsWatch, ModelRegistry } from '@x0/model-registry';
import { adapterModelName, isAdapterModelOf } from './names';
import { ServedModel, type Lease, type SwapInfo } from './served-model';

/** Options of {@link ComponentAdapters}. */
export interface ComponentAdaptersOptions {
  registry: ModelRegistry;
  /** Base model whose per-component adapters (`<base>--<component>`) are followed. */
  baseModel: string;
  /** Alias followed (default 'champion'). */
  alias?: string;
  /** Wait before following an adapter again after its watch could not start (default 10 s). */
  retryMs?: number;
  /** Whether an adapter that stopped serving is disposed here (false when `onSwap` takes it over). */
  disposeRetired: boolean;
  /** A component's adapter now serving (`adapter`, the version `info.version`). */
  onSwap(component: string, adapter: LoRAAdapter, info: SwapInfo): void;
  onError?(err: unknown): void;
}

/**
 * The per-component adapters of one base model that a serving service follows: for each
 * component asked for, the adapter its alias names, loaded and kept current (a ServedModel:
 * a promotion or rollback swaps it without a restart). A watch that cannot start (NATS
 * unreachable for a moment) is not kept half-started: it is reported and tried again every
 * `retryMs`. Which components have an adapter at all is learnt from one KV watch of the alias
 * over every model ({@link watchAliased}), not one watch per component: a component noted
 * ({@link note}) is followed once its adapter exists. Shared by the monitor's detector adapters
 * and execute's action-parameter advisor.
 */
export class ComponentAdapters {
  private readonly watches = new Map<string, ServedModel<LoRAAdapter>>();
  private readonly retryMs: number;
  /** Adapter model names of the components noted (name → component), bounded. */
  private readonly noted = new LruMap<string, string>(100_000);
  private aliased?: AliasedModelsWatch;
  private stopped = false;

  constructor(private readonly o: ComponentAdaptersOptions) {
    this.retryMs = o.retryMs ?? 10_000;
  }

  /** Starts learning which components have an adapter: a noted one is followed as soon as its adapter holds the alias. */
  async watchAliased(): Promise<void> {
    this.aliased = await this.o.registry.watchAliasedModels(
      (model) => {
        const component = this.noted.get(model);
        if (component !== undefined) this.follow(component);
      },
      this.o.alias,
      { onError: (err) => this.o.onError?.(err) },
    );
  }

  /** Whether some component's adapter of the base holds the alias (false before {@link watchAliased}). */
  anyAliased(): boolean {
    return [...(this.aliased?.models ?? [])].some((m) => isAdapterModelOf(this.o.baseModel, m));
  }

  /**
   * Notes a served component, so its adapter is followed once it exists. Returns whether its
   * adapter holds the alias now (`aliased`) and whether that is known yet (`known`: false before
   * {@link watchAliased}); undefined for a component no adapter model name fits.
   */
  note(component: string): { aliased: boolean; known: boolean } | undefined {
    let name: string;
    try {
      name = adapterModelName(this.o.baseModel, component);
    } catch {
      return undefined;
    }
    this.noted.set(name, component);
    return { aliased: this.aliased?.models.has(name) ?? false, known: this.aliased !== undefined };
  }

  /** Whether a component's adapter is followed (serving or not). */
  has(component: string): boolean {
    return this.watches.has(component);
  }

  /** Components whose adapter is followed. */
  get size(): number {
    return this.watches.size;
  }

  components(): IterableIterator<string> {
    return this.watches.keys();
  }

  /** Pins the adapter serving for `component` (undefined when none is loaded). Always `release()`. */
  acquire(component: string): Lease<LoRAAdapter> | undefined {
    return this.watches.get(component)?.acquire();
  }

  /** Starts following a component's adapter; resolves once its current version serves. Throws when the watch cannot start. */
  async watch(component: string): Promise<void> {
    if (this.watches.has(component) || this.stopped) return;
    const name = adapterModelName(this.o.baseModel, component);
    const served: ServedModel<LoRAAdapter> = new ServedModel<LoRAAdapter>({
      registry: this.o.registry,
      model: name,
      alias: this.o.alias,
      load: async (version) => readAdapter(await this.o.registry.artifacts(name, version)),
      ...(this.o.disposeRetired ? { dispose: (adapter: LoRAAdapter) => adapter.dispose() } : {}),
      onSwap: (info) => {
        const adapter = served.current;
        if (adapter) this.o.onSwap(component, adapter, info);
      },
      onError: (err) => this.o.onError?.(err),
    });
    this.watches.set(component, served);
    try {
      await served.start();
    } catch (err) {
      // (not left in the map: the component's adapter is followed again on the next try)
      if (this.watches.get(component) === served) this.watches.delete(component);
      await served.stop().catch(() => undefined);
      throw err;
    }
  }

  /** Follows a component's adapter in the background; a watch that cannot start is reported and tried again. */
  follow(component: string): void {
    if (this.watches.has(component) || this.stopped) return;
    this.watch(component).catch((err) => {
      this.o.onError?.(new Error(`cannot watch ${adapterModelName(this.o.baseModel, component)} (${component}'s adapter; trying again in ${Math.round(this.retryMs / 1000)} s): ${errorMessage(err)}`));
      if (!this.stopped) setTimeout(() => this.follow(component), this.retryMs).unref();
    });
  }

  /** Stops every watch (each ServedModel frees what it loaded when `disposeRetired`). Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.aliased?.stop(), ...[...this.watches.values()].map((w) => w.stop())]);
  }
}

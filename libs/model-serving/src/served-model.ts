import { errorMessage, InvalidArgumentError } from '@x0/core';
import type { AliasChange, AliasWatch, ModelRegistry } from '@x0/model-registry';

/** What a serving service sees when the version it serves changes. */
export interface SwapInfo {
  model: string;
  alias: string;
  version: string;
  /** Version served before ('' for the first load). */
  previousVersion: string;
  /** 'promote' or 'rollback' (from the alias history). */
  type: AliasChange['type'];
  /**
   * Whether this swap follows an alias move seen while following the alias (false for the
   * version the alias already named when `start()` was called).
   */
  live: boolean;
  /** Time from the alias change (its KV write) to the new version serving, ms; only for a live swap. */
  propagationMs?: number;
  /** Initial load only: how long before it the alias was moved to this version, ms (not a propagation time). */
  aliasAgeMs?: number;
  /** Time spent loading the new version, ms. */
  loadMs: number;
}

/** Options of {@link ServedModel}. */
export interface ServedModelOptions<M> {
  registry: ModelRegistry;
  model: string;
  /** Alias to follow (default 'champion'). */
  alias?: string;
  /** Builds the servable object of a version (e.g. loads and merges a tfjs model). */
  load(version: string): Promise<M>;
  /** Frees a servable once nothing uses it any more (e.g. `m.dispose()`). */
  dispose?(m: M): void;
  /** Called after each swap, with the new version serving. */
  onSwap?(info: SwapInfo): void;
  /** Called when a version cannot be loaded; the previous one keeps serving. */
  onError?(err: unknown, version: string): void;
  clock?: () => number;
}

/** The model in use by one call, pinned until `release()`. */
export interface Lease<M> {
  readonly model: M;
  readonly version: string;
  release(): void;
}

interface Slot<M> {
  model: M;
  version: string;
  leases: number;
  retired: boolean;
}

/**
 * The version of a model that an alias (default `champion`) points at, kept current
 * without a restart: it follows the alias with the registry's `watchAliases`, loads a new
 * version *beside* the one serving, then swaps the reference in one synchronous step, so
 * every input is scored by exactly one complete version and none waits or is dropped.
 * The old version is disposed when its last lease is released. A version that fails to
 * load is reported and skipped; the previous one keeps serving. A rollback is just
 * another alias move and takes effect the same way.
 */
export class ServedModel<M> {
  private slot?: Slot<M>;
  private watch?: AliasWatch;
  private starting?: Promise<void>;
  private stopping?: Promise<void>;
  private readonly alias: string;
  private readonly clock: () => number;
  private swaps = 0;
  /** True once `watchAliases` has delivered the alias's value at start: later changes are live. */
  private following = false;

  constructor(private readonly o: ServedModelOptions<M>) {
    if (!o.model) throw new InvalidArgumentError('model', 'must not be empty');
    this.alias = o.alias ?? 'champion';
    this.clock = o.clock ?? Date.now;
  }

  /** Version serving now ('' before the first load). */
  get version(): string {
    return this.slot?.version ?? '';
  }

  /** The model serving now (undefined before the first load); for synchronous use only — see `acquire()`. */
  get current(): M | undefined {
    return this.slot?.model;
  }

  /** Number of swaps since start (the first load counts). */
  get swapCount(): number {
    return this.swaps;
  }

  /**
   * Loads the alias's current version (when it has one) and starts following it; resolves
   * once that version serves. Safe to call twice.
   */
  start(): Promise<void> {
    this.starting ??= (async () => {
      this.watch = await this.o.registry.watchAliases(this.o.model, this.alias, (change) => this.swapTo(change), {
        onError: (err, change) => this.o.onError?.(err, change?.version ?? ''),
      });
      this.following = true;
    })();
    return this.starting;
  }

  /** Stops following the alias and disposes the model once unleased. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.starting?.catch(() => undefined);
      await this.watch?.stop();
      if (this.slot) this.retire(this.slot);
      this.slot = undefined;
    })();
    return this.stopping;
  }

  /** Pins the serving model for an asynchronous use; undefined before the first load. Always `release()`. */
  acquire(): Lease<M> | undefined {
    const slot = this.slot;
    if (!slot) return undefined;
    slot.leases++;
    let released = false;
    return {
      model: slot.model,
      version: slot.version,
      release: () => {
        if (released) return;
        released = true;
        slot.leases--;
        if (slot.retired && slot.leases === 0) this.o.dispose?.(slot.model);
      },
    };
  }

  private async swapTo(change: AliasChange): Promise<void> {
    if (this.stopping || change.version === this.slot?.version) return;
    const live = this.following;
    const started = this.clock();
    let model: M;
    try {
      model = await this.o.load(change.version);
    } catch (err) {
      this.o.onError?.(new Error(`cannot load ${this.o.model}@${change.version}: ${errorMessage(err)}`, { cause: err }), change.version);
      return;
    }
    if (this.stopping) {
      this.o.dispose?.(model);
      return;
    }
    const previous = this.slot;
    // The swap itself: one assignment, between two uses of the model.
    this.slot = { model, version: change.version, leases: 0, retired: false };
    this.swaps++;
    if (previous) this.retire(previous);
    const now = this.clock();
    this.o.onSwap?.({
      model: this.o.model,
      alias: this.alias,
      version: change.version,
      previousVersion: previous?.version ?? '',
      type: change.type,
      live,
      // At start the alias may have moved days ago: that age says nothing about propagation.
      ...(live ? { propagationMs: Math.max(0, now - change.timeMs) } : { aliasAgeMs: Math.max(0, now - change.timeMs) }),
      loadMs: now - started,
    });
  }

  private retire(slot: Slot<M>): void {
    slot.retired = true;
    if (slot.leases === 0) this.o.dispose?.(slot.model);
  }
}

/**
 * The fields a service logs for a swap: `propagationMs` for a live alias move, `aliasAgeMs`
 * for the version loaded at start (whose alias may have moved long before).
 */
export function swapLogFields(info: SwapInfo): Record<string, string | number> {
  const base = { model: info.model, version: info.version, previous: info.previousVersion };
  return info.live ? { ...base, propagationMs: info.propagationMs ?? 0 } : { ...base, aliasAgeMs: info.aliasAgeMs ?? 0 };
}

import { KvWatchInclude, type KV, type KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import { lastChange, parseAliasState } from './alias-state';
import { aliasKey } from './names';
import type { AliasChange } from './types';
import { kvEntries } from '@x0/bus';

/** Options of `watchAliases()`. */
export interface WatchAliasOptions {
  /** Deliver the current holder first (default true). */
  includeCurrent?: boolean;
  /**
   * Called when `onChange` throws or rejects (with that change; the watch goes on) and
   * when the watch itself fails (without one; e.g. the connection closed). Default: ignore.
   */
  onError?: (err: unknown, change?: AliasChange) => void;
}

/** A running alias watch. */
export interface AliasWatch {
  /** Version the alias points at as last delivered ('' before the first). */
  readonly current: string;
  /** Stops watching; resolves when the last `onChange` has returned. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Watches one alias key. The current value is read with `get()` and delivered before the
 * watch starts at the next revision, so nothing between the two is lost or doubled;
 * revisions already seen are skipped. `onChange` calls never overlap.
 */
export async function watchAlias(
  kv: KV,
  model: string,
  alias: string,
  onChange: (change: AliasChange) => void | Promise<void>,
  options: WatchAliasOptions = {},
): Promise<AliasWatch> {
  const key = aliasKey(model, alias);
  let lastRevision = 0;
  let current = '';
  const deliver = async (change: AliasChange) => {
    lastRevision = change.revision;
    current = change.version;
    try {
      await onChange(change);
    } catch (err) {
      options.onError?.(err, change);
    }
  };

  const initial = await kv.get(key);
  const hasInitial = initial !== null && initial.operation === 'PUT';
  if (hasInitial) {
    const change = lastChange(parseAliasState(initial));
    if (options.includeCurrent === false) {
      lastRevision = change.revision;
      current = change.version;
    } else {
      await deliver(change);
    }
  }
  // With a known revision, resume right after it; otherwise take whatever value appears
  // first (one written between our get() and this watch included).
  const iter: QueuedIterator<KvWatchEntry> = hasInitial
    ? await kv.watch({ key, resumeFromRevision: lastRevision + 1 })
    : await kv.watch({ key, include: KvWatchInclude.LastValue });

  const loop = (async () => {
    for await (const e of iter) {
      if (e.operation !== 'PUT' || e.revision <= lastRevision) continue;
      await deliver(lastChange(parseAliasState(e)));
    }
  })().catch((err: unknown) => options.onError?.(err));

  let stopping: Promise<void> | undefined;
  return {
    get current() {
      return current;
    },
    stop() {
      stopping ??= (async () => {
        iter.stop();
        await loop;
      })();
      return stopping;
    },
  };
}

/** A running watch of which models hold an alias (see `watchAliasedModels`). */
export interface AliasedModelsWatch {
  /** Models known to hold the alias. */
  readonly models: ReadonlySet<string>;
  /** Stops watching; resolves when the last callback has returned. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * One KV watch over `alias` of every model (`a.*.<alias>`): `onModel` is called once for each
 * model that holds it now and for each model that gets it later. One watch, however many
 * models there are: a service that serves per-component models learns which ones exist
 * without one watch (one JetStream consumer) per component. Resolves once the current
 * holders have been delivered.
 */
export async function watchAliasedModels(
  kv: KV,
  alias: string,
  onModel: (model: string) => void,
  options: Pick<WatchAliasOptions, 'onError'> = {},
): Promise<AliasedModelsWatch> {
  const models = new Set<string>();
  const found = (model: string | undefined) => {
    if (!model || models.has(model)) return;
    models.add(model);
    try {
      onModel(model);
    } catch (err) {
      options.onError?.(err);
    }
  };
  const pattern = aliasKey('*', alias);
  // Updates first, then the keys that exist: a model aliased in between is seen by one or both (the set keeps it once).
  const iter: QueuedIterator<KvWatchEntry> = await kv.watch({ key: pattern, include: KvWatchInclude.UpdatesOnly, ignoreDeletes: true });
  try {
    for (const { key } of await kvEntries(kv, pattern)) found(key.split('.')[1]);
  } catch (err) {
    iter.stop();
    throw err;
  }
  const loop = (async () => {
    for await (const e of iter) if (e.operation === 'PUT') found(e.key.split('.')[1]);
  })().catch((err: unknown) => options.onError?.(err));
  let stopping: Promise<void> | undefined;
  return {
    models,
    stop() {
      stopping ??= (async () => {
        iter.stop();
        await loop;
      })();
      return stopping;
    },
  };
}

import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { Objm, StorageType, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import * as tf from '@tensorflow/tfjs';
import { MODELS_UPDATED_SUBJECT } from '@x0/contracts';
import { isKvRevisionConflict, kvEntries } from '@x0/bus';
import { FailedPreconditionError, InvalidArgumentError, newId, NotFoundError } from '@x0/core';
import { moveAlias, parseAliasState, readAliasStates, rollbackAlias } from './alias-state';
import { watchAlias, watchAliasedModels, type AliasedModelsWatch, type AliasWatch, type WatchAliasOptions } from './alias-watch';
import { aliasChangedEvent, publishModelEvent, registeredEvent, type EventTarget } from './model-events';
import { aliasKey, checkName, checkVersion, versionKey } from './names';
import { deleteArtifacts, deleteArtifactsOrThrow, objectStoreIO } from './object-store-io';
import { validateRegistration } from './validation';
import type { AliasChange, AliasState, ModelLineage, ModelSignature, ModelVersionRecord, ModelVersionView } from './types';

/** Anything that can write itself through a tfjs IOHandler (a LayersModel, a LoRAAdapter), or ready artifacts. */
export type ArtifactSource = tf.io.ModelArtifacts | { save(handler: tf.io.IOHandler): Promise<unknown> };

/** What `register()` needs. */
export interface RegisterInput {
  model: string;
  version: string;
  artifacts: ArtifactSource;
  signature: ModelSignature;
  metrics?: Record<string, number>;
  lineage?: ModelLineage;
  /** Component an adapter is for (a subject token); '' for a shared model. */
  component?: string;
  /** Id of the event that caused this registration (e.g. a retraining trigger), for tracing. */
  parentEventId?: string;
}

/** Options of `promote()` and `rollback()`. */
export interface AliasMoveOptions {
  /** Why, kept in the alias history (e.g. the shadow evaluation's reason). */
  reason?: string;
  /**
   * Who (an operator's name, any text), kept as given in the alias history, the event, the
   * watchers' AliasChange and readAliasHistory; '' (the default) when nobody is named. The reason
   * is never parsed for an actor (only history entries written before the actor was kept are).
   */
  actor?: string;
  parentEventId?: string;
}

/** Options of {@link createModelRegistry}. */
export interface ModelRegistryOptions {
  nc: NatsConnection;
  /** KV bucket for version records and aliases (default 'x0_models'). */
  kvBucket?: string;
  /** Object Store bucket for artifacts (default 'x0_model_artifacts'). */
  objectBucket?: string;
  /** Subject of model events (default `x0.models.updated`, captured by the X0_EVENTS stream). */
  subject?: string;
  /** `source` of published events (default 'trainer'). */
  source?: string;
  /** Milliseconds to wait for the stream's ack of an event (default 5,000). */
  publishTimeoutMs?: number;
  clock?: () => number;
}

const CAS_ATTEMPTS = 20;

/**
 * Creates (or opens) the KV and Object Store buckets and returns a registry over them.
 * The connection stays the caller's: close it after the last use of the registry.
 */
export async function createModelRegistry(options: ModelRegistryOptions): Promise<ModelRegistry> {
  const kv = await new Kvm(options.nc).create(options.kvBucket ?? 'x0_models', { history: 1, storage: StorageType.File });
  const store = await new Objm(options.nc).create(options.objectBucket ?? 'x0_model_artifacts', { storage: StorageType.File });
  const events: EventTarget = {
    js: jetstream(options.nc),
    subject: options.subject ?? MODELS_UPDATED_SUBJECT,
    source: options.source ?? 'trainer',
    timeoutMs: options.publishTimeoutMs ?? 5000,
  };
  return new ModelRegistry(kv, store, events, options.clock ?? Date.now);
}

/**
 * Model registry on NATS: immutable versions (metrics, signature, lineage) in KV, their
 * artifacts in the Object Store, and movable aliases (`champion`, `challenger`, ...) with
 * history. Every registration and alias move is published as a `ModelEvent` on
 * `x0.models.updated`. A ref is a version or an alias; aliases are tried first.
 */
export class ModelRegistry {
  constructor(
    private readonly kv: KV,
    private readonly store: ObjectStore,
    private readonly events: EventTarget,
    private readonly clock: () => number,
  ) {}

  /**
   * Stores the artifacts and records a new version, then publishes `registered`.
   * Throws InvalidArgumentError on bad input, FailedPreconditionError when the version
   * exists (versions are immutable), UnavailableError when the event cannot be published
   * (the version is registered by then).
   */
  async register(input: RegisterInput): Promise<ModelVersionView> {
    const { model, version, component, metrics, signature, lineage } = validateRegistration(input);
    const key = versionKey(model, version);
    if (await this.kv.get(key).then(isLive)) throw versionExists(model, version);

    const artifactPrefix = `${model}/${version}/${newId('art', this.clock())}`;
    const { format, storedBytes } = await this.saveArtifacts(input.artifacts, artifactPrefix);
    const rec: ModelVersionRecord = {
      model,
      version,
      component,
      format,
      metrics,
      signature,
      lineage,
      createdMs: this.clock(),
      sizeBytes: storedBytes,
      artifactPrefix,
    };
    try {
      await this.kv.create(key, JSON.stringify(rec));
    } catch (err) {
      // The KV create is the commit point: a concurrent registration of the same version won.
      await deleteArtifacts(this.store, artifactPrefix);
      if (await this.kv.get(key).then(isLive)) throw versionExists(model, version, err);
      throw err;
    }
    await publishModelEvent(this.events, registeredEvent(rec, this.events.source, input.parentEventId));
    return { ...rec, aliases: [] };
  }

  /** The version `ref` (a version or an alias) of `model`. Throws NotFoundError when there is none. */
  async get(model: string, ref: string): Promise<ModelVersionView> {
    return this.view(await this.record(model, ref));
  }

  /** The version an alias points at, or `ref` itself when it is not an alias of `model`. */
  async resolve(model: string, ref: string): Promise<string> {
    checkName('model', model);
    if (/^[A-Za-z0-9_-]{1,128}$/.test(ref)) {
      const state = await this.alias(model, ref);
      if (state) return state.version;
    }
    return checkVersion('ref', ref);
  }

  /** Every version of `model`, oldest first, with its aliases. */
  async list(model: string): Promise<ModelVersionView[]> {
    checkName('model', model);
    return this.listWith(model, await this.aliases(model));
  }

  /** Every version of `model`, oldest first, with its aliases among `aliases` (read by the caller). */
  private async listWith(model: string, aliases: readonly AliasState[]): Promise<ModelVersionView[]> {
    const records: ModelVersionRecord[] = [];
    for (const entry of await kvEntries(this.kv, `v.${model}.>`)) if (isLive(entry)) records.push(entry.json<ModelVersionRecord>());
    records.sort((a, b) => a.createdMs - b.createdMs || a.version.localeCompare(b.version));
    return records.map((r) => ({ ...r, aliases: aliases.filter((a) => a.version === r.version).map((a) => a.alias).sort() }));
  }

  /** Names of every model with at least one version, sorted. */
  async models(): Promise<string[]> {
    const names = new Set<string>();
    for (const { key } of await kvEntries(this.kv, 'v.>')) names.add(key.split('.')[1]);
    return [...names].sort();
  }

  /**
   * Retention: deletes the versions of `model` (record and artifacts) that nothing can reach
   * any more — held by no alias, and not an earlier holder of one (its `previous`, what a
   * rollback returns to, or its history, where an adapter's earlier champions are found) except
   * of `challenger`, which the trainer moves to every new version — and not among the `keep`
   * most recent (at least 1, so version numbers are never reused). A version an alias takes
   * while it is being deleted keeps its record and artifacts (see also `promote`). The
   * deletions' KV markers are purged, so listings do not grow with every version ever made.
   * Returns the versions deleted, oldest first, and those whose artifacts could not all be
   * deleted (`orphaned`, with the error: objects under `artifactPrefix` left behind).
   * Publishes nothing: a deletion changes no alias.
   */
  async prune(model: string, keep: number): Promise<{ deleted: string[]; orphaned: Array<{ version: string; artifactPrefix: string; error: string }> }> {
    checkName('model', model);
    if (!Number.isInteger(keep) || keep < 1) throw new InvalidArgumentError('keep', `must be an integer ≥ 1, got ${keep}`);
    // (the aliases once for both: the second look below is the one that matters for a racing promote)
    const states = await this.aliases(model);
    const versions = await this.listWith(model, states);
    const reachable = reachableFrom(states);
    // Records first, then one more look at the aliases: a version an alias took meanwhile (promote
    // checked its record before the delete) gets its record back and keeps its artifacts.
    const removed: Array<{ version: ModelVersionView; key: string; value: Uint8Array }> = [];
    let gone: typeof removed;
    try {
      for (const v of versions.slice(0, Math.max(0, versions.length - keep))) {
        if (reachable.has(v.version)) continue;
        const key = versionKey(model, v.version);
        const entry = await this.kv.get(key);
        if (!isLive(entry)) continue;
        await this.kv.delete(key);
        removed.push({ version: v, key, value: entry!.value });
      }
      const taken = reachableFrom(await this.aliases(model));
      for (const r of removed.filter((x) => taken.has(x.version.version))) await this.kv.put(r.key, r.value);
      gone = removed.filter((x) => !taken.has(x.version.version));
    } catch (err) {
      for (const r of removed) await this.kv.put(r.key, r.value).catch(() => undefined);
      throw err;
    }
    const deleted: string[] = [];
    const orphaned: Array<{ version: string; artifactPrefix: string; error: string }> = [];
    for (const { version: v } of gone) {
      deleted.push(v.version);
      try {
        await deleteArtifactsOrThrow(this.store, v.artifactPrefix);
      } catch (err) {
        orphaned.push({ version: v.version, artifactPrefix: v.artifactPrefix, error: err instanceof Error ? err.message : String(err) });
      }
    }
    // (the bucket @nats-io/kv opens has purgeDeletes; its KV interface does not declare it)
    if (deleted.length > 0) await (this.kv as KV & { purgeDeletes?(olderMillis: number): Promise<unknown> }).purgeDeletes?.(0);
    return { deleted, orphaned };
  }

  /** Where `alias` of `model` points, with its history; undefined when the alias was never set. */
  async alias(model: string, alias: string): Promise<AliasState | undefined> {
    const entry = await this.kv.get(aliasKey(checkName('model', model), checkName('alias', alias)));
    return isLive(entry) ? parseAliasState(entry!) : undefined;
  }

  /** Every alias of `model`. */
  async aliases(model: string): Promise<AliasState[]> {
    return readAliasStates(this.kv, checkName('model', model));
  }

  /**
   * Points `alias` (default 'champion') at `version`, remembering the previous holder for
   * rollback, and publishes `alias_changed`. Promoting the current holder changes nothing
   * and publishes nothing. Throws NotFoundError for an unknown version.
   */
  async promote(model: string, version: string, alias = 'champion', options: AliasMoveOptions = {}): Promise<AliasState> {
    checkName('model', model);
    checkName('alias', alias);
    checkVersion('version', version);
    if (!isLive(await this.kv.get(versionKey(model, version)))) throw new NotFoundError('model version', `${model}@${version}`);
    const state = await this.moveAlias(model, alias, options, (cur) => moveAlias(cur, { model, alias, version, timeMs: this.clock(), reason: options.reason ?? '', actor: options.actor ?? '' }));
    if (isLive(await this.kv.get(versionKey(model, version)))) return state;
    // prune() deleted it between the check and the move (and did not see the move in time): the alias goes back.
    const why = `model ${model} version ${version} was deleted by the registry's retention while it was promoted`;
    if (state.previous.length > 0) {
      await this.moveAlias(model, alias, { reason: why, actor: 'system' }, (cur) => (cur && cur.version === version ? rollbackAlias(cur, this.clock(), why, 'system') : cur!));
      throw new FailedPreconditionError(`${why}: ${alias} is back where it was`);
    }
    // A new alias has nowhere to go back to: it is removed (unless it moved on meanwhile).
    await this.kv.delete(aliasKey(model, alias), { previousSeq: state.revision }).catch(() => undefined);
    throw new FailedPreconditionError(`${why}: the new alias ${alias} was removed`);
  }

  /**
   * Moves `alias` (default 'champion') back to the version that held it before the current
   * one and publishes `alias_changed`. Throws NotFoundError when the alias does not exist
   * and FailedPreconditionError when it has no earlier holder.
   */
  async rollback(model: string, alias = 'champion', options: AliasMoveOptions = {}): Promise<AliasState> {
    checkName('model', model);
    checkName('alias', alias);
    const cur = await this.alias(model, alias);
    const target = cur?.previous.at(-1);
    // (the challenger's earlier holders are not kept by prune())
    if (target !== undefined && !isLive(await this.kv.get(versionKey(model, target)))) {
      throw new FailedPreconditionError(`alias ${alias} of model ${model} cannot roll back to version ${target}: it was deleted by the registry's retention (it held no alias any more)`);
    }
    return this.moveAlias(model, alias, options, (cur) => {
      if (!cur) throw new NotFoundError('model alias', `${model}@${alias}`);
      return rollbackAlias(cur, this.clock(), options.reason ?? '', options.actor ?? '');
    });
  }

  /**
   * Calls `onChange` with the alias's current holder (when it has one) and then on every
   * move, in order, until `stop()`. Resolves once the current holder has been handled, so
   * a server can `await` its first model. Built on a KV watch of the alias key (see
   * docs/model-registry.md for why not the event stream).
   */
  watchAliases(model: string, alias: string, onChange: (change: AliasChange) => void | Promise<void>, options: WatchAliasOptions = {}): Promise<AliasWatch> {
    return watchAlias(this.kv, checkName('model', model), checkName('alias', alias), onChange, options);
  }

  /**
   * Calls `onModel` for every model that holds `alias` (default 'champion') now and for each
   * one that gets it later, over a single KV watch (not one per model). Resolves once the
   * current holders have been reported. Serving many per-component models starts here.
   */
  watchAliasedModels(onModel: (model: string) => void, alias = 'champion', options: Pick<WatchAliasOptions, 'onError'> = {}): Promise<AliasedModelsWatch> {
    return watchAliasedModels(this.kv, checkName('alias', alias), onModel, options);
  }

  /** A load-only IOHandler for the artifacts of `ref`: `tf.loadLayersModel(h)` or `readAdapter(h)`. */
  async artifacts(model: string, ref: string): Promise<tf.io.IOHandler> {
    const rec = await this.record(model, ref);
    const io = objectStoreIO(this.store, rec.artifactPrefix);
    return { load: () => io.load() };
  }

  /** Loads the layers model stored as `ref`. Custom layers (LoRADense) must be registered, i.e. @x0/lora imported. */
  async loadModel(model: string, ref: string): Promise<tf.LayersModel> {
    return tf.loadLayersModel(await this.artifacts(model, ref));
  }

  /** The stored record of `ref` (a version or an alias), without its aliases. */
  private async record(model: string, ref: string): Promise<ModelVersionRecord> {
    checkName('model', model);
    const version = await this.resolve(model, ref);
    const entry = await this.kv.get(versionKey(model, version));
    if (!isLive(entry)) throw new NotFoundError('model version', `${model}@${ref}`);
    return entry!.json<ModelVersionRecord>();
  }

  private async view(rec: ModelVersionRecord): Promise<ModelVersionView> {
    const aliases = (await this.aliases(rec.model)).filter((a) => a.version === rec.version).map((a) => a.alias);
    return { ...rec, aliases };
  }

  private async saveArtifacts(source: ArtifactSource, prefix: string): Promise<{ format: string; storedBytes: number }> {
    const io = objectStoreIO(this.store, prefix);
    let format = '';
    let storedBytes = 0;
    const capture: tf.io.IOHandler = {
      save: async (artifacts) => {
        format = artifacts.format ?? (artifacts.modelTopology ? 'layers-model' : '');
        const result = await io.save(artifacts);
        storedBytes = result.storedBytes;
        return result;
      },
    };
    if (typeof (source as { save?: unknown }).save === 'function') await (source as { save(h: tf.io.IOHandler): Promise<unknown> }).save(capture);
    else await capture.save!(source as tf.io.ModelArtifacts);
    if (storedBytes === 0) throw new InvalidArgumentError('artifacts', 'saved nothing');
    return { format, storedBytes };
  }

  /** Compare-and-set loop on the alias key, then the event (outside the loop: the move is committed). */
  private async moveAlias(model: string, alias: string, options: AliasMoveOptions, next: (cur: AliasState | undefined) => AliasState): Promise<AliasState> {
    const key = aliasKey(model, alias);
    let state: AliasState | undefined;
    for (let attempt = 1; !state; attempt++) {
      const entry = await this.kv.get(key);
      const cur = isLive(entry) ? parseAliasState(entry!) : undefined;
      const wanted = next(cur);
      if (wanted === cur) return cur;
      const { revision: _old, ...body } = wanted;
      try {
        const revision = cur ? await this.kv.update(key, JSON.stringify(body), cur.revision) : await this.kv.create(key, JSON.stringify(body));
        state = { ...wanted, revision };
      } catch (err) {
        // Someone else moved the alias between our read and our write: re-read and retry.
        if (attempt < CAS_ATTEMPTS && isKvRevisionConflict(err)) continue;
        throw err;
      }
    }
    const component = await this.componentOf(model, state.version);
    await publishModelEvent(this.events, aliasChangedEvent(state, component, this.events.source, options.parentEventId));
    return state;
  }

  private async componentOf(model: string, version: string): Promise<string> {
    const entry = await this.kv.get(versionKey(model, version));
    return isLive(entry) ? entry!.json<ModelVersionRecord>().component : '';
  }
}

function isLive(entry: KvEntry | null): boolean {
  return entry !== null && entry.operation === 'PUT';
}

function versionExists(model: string, version: string, cause?: unknown): FailedPreconditionError {
  return new FailedPreconditionError(`model ${model} version ${version} already exists; versions are immutable, register a new version`, { cause });
}

/** Versions the aliases `states` hold or can return to (except the challenger's earlier ones). */
function reachableFrom(states: readonly AliasState[]): Set<string> {
  const out = new Set<string>();
  for (const a of states) {
    out.add(a.version);
    if (a.alias === 'challenger') continue;
    for (const v of a.previous) out.add(v);
    for (const h of a.history) out.add(h.version);
  }
  return out;
}

import type { TrainingJob } from '@x0/contracts';
import { errorMessage } from '@x0/core';
import { baseModelSignature } from '@x0/lora';
import type { AliasState, ModelRegistry, ModelVersionView } from '@x0/model-registry';
import { isAdapterModelOf } from '@x0/model-serving';
import type { Logger } from '@x0/service-kit';
import type { JobRequest } from './job-request';

/** A component's champion adapter that was trained on other base weights than the base's champion. */
export interface StaleAdapter {
  /** Registry model of the adapter (`<base>--<component>`). */
  model: string;
  component: string;
  /** The adapter's champion version. */
  version: string;
  /** Version of the base it was trained on, as its lineage records it ('' when unknown). */
  baseVersion: string;
  /**
   * An earlier champion of the adapter trained on exactly the base's champion weights (after the
   * base was rolled back to the version it was trained on, say), most recent first; undefined when none.
   */
  fitting?: string;
  /** When the adapter's champion alias last moved (ms; 0 when not known). */
  championMovedMs: number;
}

/**
 * The per-component adapters of `baseModel` whose champion was trained on other weights than
 * `baseModel@baseVersion`: the serving services do not apply them (an adapter only fits the
 * base it was trained on), so each such component is served by the base alone until its
 * adapter is trained again.
 */
export async function staleAdapters(registry: ModelRegistry, baseModel: string, baseVersion: string): Promise<StaleAdapter[]> {
  // (no adapter, nothing to compare: the base is not loaded, at every start and every move)
  const adapters = (await registry.models()).filter((m) => isAdapterModelOf(baseModel, m)).sort();
  if (adapters.length === 0) return [];
  const base = await registry.loadModel(baseModel, baseVersion);
  let hash: string;
  try {
    hash = baseModelSignature(base);
  } finally {
    base.dispose();
  }
  const out: StaleAdapter[] = [];
  for (const model of adapters) {
    // the champion alias once (its version and history), then, for an adapter that has one, every version once
    const state = await registry.alias(model, 'champion').catch(() => undefined);
    if (!state) continue;
    const versions = new Map((await registry.list(model)).map((v) => [v.version, v]));
    const champion = versions.get(state.version);
    if (!champion || !champion.component || champion.signature.baseModelHash === hash) continue;
    const trainedOn = champion.lineage.config?.['baseVersion'];
    const fitting = earlierFittingChampion(versions, state, hash);
    out.push({
      model,
      component: champion.component,
      version: champion.version,
      baseVersion: typeof trainedOn === 'string' ? trainedOn : '',
      ...(fitting ? { fitting } : {}),
      championMovedMs: state.history.at(-1)?.timeMs ?? 0,
    });
  }
  return out;
}

/** The most recent earlier champion of an adapter (whose champion alias is `state`, among its `versions`) trained on the base weights `hash`. */
function earlierFittingChampion(versions: ReadonlyMap<string, ModelVersionView>, state: AliasState, hash: string): string | undefined {
  const earlier = [...new Set(state.history.map((h) => h.version).reverse())].filter((v) => v !== state.version);
  return earlier.find((version) => versions.get(version)?.signature.baseModelHash === hash);
}

/**
 * The jobs that train the stale adapters again on the new champion of their base (trigger
 * `rebase`), one per component: `<base> champion is now 3: demo-db's adapter 2 was trained on 2`.
 * A stale adapter with a fitting earlier champion gets no job (it is restored instead).
 */
export function rebaseRequests(baseModel: string, baseVersion: string, stale: readonly StaleAdapter[]): JobRequest[] {
  return stale.filter((s) => !s.fitting).map((s) => ({
    model: baseModel,
    component: s.component,
    trigger: 'rebase',
    reason: `${baseModel} champion is now ${baseVersion}: ${s.component}'s adapter ${s.version} was trained on ${s.baseVersion ? `${baseModel} ${s.baseVersion}` : 'other base weights'} and no longer applies`,
  }));
}

/** What {@link rebaseAdapters} needs of the trainer. */
export interface RebaseDeps {
  registry: ModelRegistry;
  enqueue(req: JobRequest): Promise<TrainingJob>;
  /** Jobs of a model, most recent first (the job history). */
  jobs(model: string): readonly TrainingJob[];
  logger: Logger;
}

/**
 * Brings the adapters of `baseModel` in line with its champion `baseVersion`, once per move of
 * that champion: an adapter whose earlier champion was trained on these very weights (the base was
 * rolled back) is made champion again; every other stale adapter gets a `rebase` job (also one
 * whose restore failed). An adapter whose champion was moved after the base's (by hand) is left
 * as it was put, and a component with a job queued since the base's move gets none, so a
 * trainer that starts after the base moved catches up and one that restarts does nothing again.
 * Nothing is done when `baseVersion` is no longer the champion (the later move has its own run).
 */
export async function rebaseAdapters(d: RebaseDeps, baseModel: string, baseVersion: string): Promise<void> {
  const base = await d.registry.alias(baseModel, 'champion');
  if (!base || base.version !== baseVersion) return;
  const movedMs = base.history.at(-1)?.timeMs ?? 0;
  const stale = (await staleAdapters(d.registry, baseModel, baseVersion)).filter((s) => s.championMovedMs <= movedMs);
  const train: StaleAdapter[] = [];
  for (const s of stale) {
    if (!s.fitting) {
      train.push(s);
      continue;
    }
    const reason = `${baseModel} champion is ${baseVersion} again: ${s.component}'s adapter ${s.fitting}, trained on it, serves again`;
    try {
      await d.registry.promote(s.model, s.fitting, 'champion', { reason });
      d.logger.info({ model: s.model, component: s.component, version: s.fitting, reason }, 'adapter restored for the base champion');
    } catch (err) {
      d.logger.warn({ model: s.model, component: s.component, err: errorMessage(err) }, 'adapter not restored: it is trained again instead');
      train.push({ ...s, fitting: undefined });
    }
  }
  const since = new Set(d.jobs(baseModel).filter((j) => j.component && j.createdMs >= movedMs).map((j) => j.component));
  for (const req of rebaseRequests(baseModel, baseVersion, train).filter((r) => !since.has(r.component!))) {
    await d.enqueue(req).then(
      (job) => d.logger.info({ model: baseModel, component: req.component, job: job.id, reason: req.reason }, 'adapter queued for training on the new base'),
      (err: unknown) => d.logger.warn({ model: baseModel, component: req.component, err: errorMessage(err) }, 'adapter not queued for training on the new base'),
    );
  }
}

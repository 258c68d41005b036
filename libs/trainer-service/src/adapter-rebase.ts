import { baseModelSignature } from '@x0/lora';
import type { ModelRegistry } from '@x0/model-registry';
import { isAdapterModelOf } from '@x0/model-serving';
import type { JobRequest } from './job-request';
import { championOf } from './trainable';

/** A component's champion adapter that was trained on other base weights than the base's champion. */
export interface StaleAdapter {
  /** Registry model of the adapter (`<base>--<component>`). */
  model: string;
  component: string;
  /** The adapter's champion version. */
  version: string;
  /** Version of the base it was trained on, as its lineage records it ('' when unknown). */
  baseVersion: string;
}

/**
 * The per-component adapters of `baseModel` whose champion was trained on other weights than
 * `baseModel@baseVersion`: the serving services do not apply them (an adapter only fits the
 * base it was trained on), so each such component is served by the base alone until its
 * adapter is trained again.
 */
export async function staleAdapters(registry: ModelRegistry, baseModel: string, baseVersion: string): Promise<StaleAdapter[]> {
  const base = await registry.loadModel(baseModel, baseVersion);
  let hash: string;
  try {
    hash = baseModelSignature(base);
  } finally {
    base.dispose();
  }
  const out: StaleAdapter[] = [];
  for (const model of (await registry.models()).sort()) {
    if (!isAdapterModelOf(baseModel, model)) continue;
    const champion = await championOf(registry, model);
    if (!champion || !champion.component || champion.signature.baseModelHash === hash) continue;
    const trainedOn = champion.lineage.config?.['baseVersion'];
    out.push({ model, component: champion.component, version: champion.version, baseVersion: typeof trainedOn === 'string' ? trainedOn : '' });
  }
  return out;
}

/**
 * The jobs that train the stale adapters again on the new champion of their base (trigger
 * `rebase`), one per component: `<base> champion is now 3: demo-db's adapter 2 was trained on 2`.
 */
export function rebaseRequests(baseModel: string, baseVersion: string, stale: readonly StaleAdapter[]): JobRequest[] {
  return stale.map((s) => ({
    model: baseModel,
    component: s.component,
    trigger: 'rebase',
    reason: `${baseModel} champion is now ${baseVersion}: ${s.component}'s adapter ${s.version} was trained on ${s.baseVersion ? `${baseModel} ${s.baseVersion}` : 'other base weights'} and no longer applies`,
  }));
}

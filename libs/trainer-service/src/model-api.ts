import { publishMessage, type Bus } from '@x0/bus';
import { EVENT_CODECS, eventSubject, isSubjectToken, Label, type LabelRequest, type LabelResponse, type ModelVersion } from '@x0/contracts';
import { deriveId, FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '@x0/core';
import type { ModelRegistry, ModelVersionView } from '@x0/model-registry';
import type { Logger } from '@x0/service-kit';
import type { FeedbackTracker } from './feedback';
import { LabelConflictError, type OperatorLabelRecord } from './label-store';
import type { TrainableModel } from './trainable';

/** A registry version as the TrainerService returns it (signature and lineage flattened to strings). */
export function toModelVersion(v: ModelVersionView): ModelVersion {
  const signature: Record<string, string> = { input_shape: JSON.stringify(v.signature.inputShape), format: v.format };
  if (v.signature.baseModelHash) signature['base_model_hash'] = v.signature.baseModelHash;
  if (v.signature.adapterRank !== undefined) signature['adapter_rank'] = String(v.signature.adapterRank);
  const lineage: Record<string, string> = {};
  if (v.component) lineage['component'] = v.component;
  if (v.lineage.parentVersion) lineage['parent_version'] = v.lineage.parentVersion;
  if (v.lineage.dataWindow) {
    lineage['data_start'] = new Date(v.lineage.dataWindow.startMs).toISOString();
    lineage['data_end'] = new Date(v.lineage.dataWindow.endMs).toISOString();
  }
  for (const [k, val] of Object.entries(v.lineage.config ?? {})) lineage[k] = typeof val === 'string' ? val : JSON.stringify(val);
  return { model: v.model, version: v.version, aliases: v.aliases, metrics: v.metrics, signature, lineage, createdMs: v.createdMs, sizeBytes: v.sizeBytes };
}

/** Every version of `model`, or of every model when it is '' (each oldest first). */
export async function listVersions(registry: ModelRegistry, model: string): Promise<ModelVersion[]> {
  const names = model ? [model] : await registry.models();
  const out: ModelVersion[] = [];
  for (const name of names) for (const v of await registry.list(name)) out.push(toModelVersion(v));
  return out;
}

/**
 * Registers each trainable's shipped model as version 1 (and makes it the champion) when the
 * model has no version yet, so `x0 models ls` is never empty. Safe with several trainers
 * starting at once (the registry's create is the commit point). Returns the models registered.
 */
export async function registerShippedModels(registry: ModelRegistry, trainables: readonly TrainableModel[], logger: Logger): Promise<string[]> {
  const registered: string[] = [];
  for (const t of trainables) {
    if ((await registry.list(t.model)).length > 0) continue;
    const shipped = t.shipped();
    try {
      await registry.register({
        model: t.model,
        version: '1',
        artifacts: shipped.artifacts,
        signature: shipped.signature,
        metrics: shipped.metrics,
        lineage: { config: shipped.config },
      });
    } catch (err) {
      if (err instanceof FailedPreconditionError) continue; // another trainer registered it first
      throw err;
    } finally {
      const a = shipped.artifacts as { dispose?: () => void };
      if (typeof a.dispose === 'function') a.dispose();
    }
    if (!(await registry.alias(t.model, 'champion'))) await registry.promote(t.model, '1', 'champion', { reason: 'shipped model, registered on first start' });
    registered.push(t.model);
    logger.info({ model: t.model, version: '1' }, 'shipped model registered');
  }
  return registered;
}

/** Compare-and-set attempts of one Label request against concurrent labels of the same anomaly. */
const LABEL_ATTEMPTS = 5;

/**
 * The Label RPC: publishes an operator's verdict on an anomaly as a Label event on
 * `x0.events.label.<component>` through JetStream (so it is in the audit trail). The
 * component comes from the anomaly the trainer has seen, or from the request. One operator
 * label per anomaly is in force, kept in the label store (KV `x0_trainer_labels`):
 * - none yet: published with id `deriveId('lbl', anomaly, 'operator', actor, verdict)`;
 * - the same verdict (by anyone, at any time): nothing is published (`published: false`, the
 *   label in force and its actor returned);
 * - the other verdict: a correction: published (id also derived from the replaced label,
 *   `replaces` naming it) and in force from now on; the accuracy counts the anomaly once,
 *   with the latest verdict.
 * Throws InvalidArgumentError, NotFoundError (unknown anomaly and no component) or
 * UnavailableError (the anomaly kept being labelled concurrently).
 */
export async function publishOperatorLabel(bus: Bus, feedback: FeedbackTracker, req: LabelRequest, logger: Logger, now = Date.now()): Promise<LabelResponse> {
  if (!req.anomalyId) throw new InvalidArgumentError('anomaly_id', 'must not be empty');
  const actor = req.actor || 'operator';
  const ref = await feedback.anomaly(req.anomalyId);
  for (let attempt = 1; ; attempt++) {
    const held = await feedback.labels.get(req.anomalyId);
    const prev = held?.record;
    const component = prev?.component ?? ref?.component ?? req.component;
    if (!component) {
      throw new NotFoundError('anomaly', req.anomalyId, { hint: 'the trainer has not seen it; pass its component to label it anyway' });
    }
    if (!isSubjectToken(component)) throw new InvalidArgumentError('component', `must be a valid subject token, got ${JSON.stringify(component)}`);
    if (prev && prev.anomaly === req.anomaly) {
      logger.info({ anomaly: req.anomalyId, component, actor, labelledBy: prev.actor, labelId: prev.labelId }, 'operator label unchanged');
      return { labelId: prev.labelId, component, published: false, actor: prev.actor, replacedLabelId: '', replacedActor: '' };
    }
    const verdict = req.anomaly ? 'true' : 'false';
    // A correction's id names the label it replaces, so flipping back and forth never reuses an id.
    const id = prev ? deriveId('lbl', req.anomalyId, 'operator', actor, verdict, prev.labelId) : deriveId('lbl', req.anomalyId, 'operator', actor, verdict);
    const record: OperatorLabelRecord = { labelId: id, anomalyId: req.anomalyId, component, anomaly: req.anomaly, actor, timeMs: now, replaces: prev?.labelId ?? '' };
    let revision: number;
    try {
      revision = await feedback.labels.put(record, held?.revision);
    } catch (err) {
      if (!(err instanceof LabelConflictError)) throw err;
      if (attempt < LABEL_ATTEMPTS) continue;
      throw new UnavailableError(`anomaly ${req.anomalyId} is being labelled concurrently; try again`, { cause: err });
    }
    const label = Label.fromPartial({
      meta: { id, parentId: req.anomalyId, component, timeMs: now, source: 'trainer' },
      anomalyId: req.anomalyId,
      anomaly: req.anomaly,
      actor,
      reason: req.reason,
      origin: 'operator',
      model: ref?.model ?? '',
      modelVersion: ref?.modelVersion ?? '',
      replaces: record.replaces,
    });
    let duplicate: boolean;
    try {
      duplicate = (await publishMessage(bus.js, { subject: eventSubject('label', component), data: EVENT_CODECS.label.encode(label), id })).duplicate;
    } catch (err) {
      // Not in the audit trail, so not in force either: a retry starts from the earlier label.
      await feedback.labels.undo(req.anomalyId, prev, revision);
      throw err;
    }
    logger.info({ anomaly: req.anomalyId, component, actor, anomalyIsReal: req.anomaly, replaces: record.replaces, duplicate }, 'operator label published');
    return { labelId: id, component, published: !duplicate, actor, replacedLabelId: prev?.labelId ?? '', replacedActor: prev?.actor ?? '' };
  }
}

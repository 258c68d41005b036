import type { JetStreamClient } from '@nats-io/jetstream';
import { MODEL_EVENT_CODEC, type ModelEvent } from '@x0/contracts';
import { deriveId, errorMessage, UnavailableError } from '@x0/core';
import { lastChange } from './alias-state';
import type { AliasState, ModelEventType, ModelVersionRecord } from './types';

/** Fields of a model event besides its meta. */
interface EventBody {
  type: ModelEventType;
  model: string;
  version: string;
  alias: string;
  previousVersion: string;
  change: '' | 'promote' | 'rollback';
  reason: string;
  actor: string;
}

/** Who publishes and where. */
export interface EventTarget {
  js: JetStreamClient;
  subject: string;
  source: string;
  timeoutMs: number;
}

/**
 * `registered` event of a version. Its id is derived from (model, version), so a retried
 * publish is de-duplicated by the stream.
 */
export function registeredEvent(rec: ModelVersionRecord, source: string, parentId = ''): ModelEvent {
  return withMeta(
    { type: 'registered', model: rec.model, version: rec.version, alias: '', previousVersion: rec.lineage.parentVersion ?? '', change: '', reason: '', actor: '' },
    { id: deriveId('mdl', rec.model, rec.version, 'registered'), parentId, component: rec.component, timeMs: rec.createdMs, source },
  );
}

/** `alias_changed` event of an alias move; the id is derived from the alias and its KV revision. */
export function aliasChangedEvent(state: AliasState, component: string, source: string, parentId = ''): ModelEvent {
  const change = lastChange(state);
  return withMeta(
    {
      type: 'alias_changed',
      model: state.model,
      version: state.version,
      alias: state.alias,
      previousVersion: change.previousVersion,
      change: change.type,
      reason: change.reason,
      actor: change.actor,
    },
    { id: deriveId('mdl', state.model, state.alias, 'alias', state.revision), parentId, component, timeMs: change.timeMs, source },
  );
}

/**
 * Publishes a model event through JetStream with `Nats-Msg-Id` = its id. Throws
 * UnavailableError (with the change already committed to KV) when no stream takes the
 * subject or the server does not acknowledge in time.
 */
export async function publishModelEvent(target: EventTarget, event: ModelEvent): Promise<void> {
  const id = event.meta!.id;
  try {
    await target.js.publish(target.subject, MODEL_EVENT_CODEC.encode(event), { msgID: id, timeout: target.timeoutMs });
  } catch (err) {
    throw new UnavailableError(
      `model ${event.model} ${event.type} was committed but its event ${id} could not be published on ${target.subject} ` +
        `(is the X0_EVENTS stream provisioned?): ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

function withMeta(body: EventBody, meta: NonNullable<ModelEvent['meta']>): ModelEvent {
  return { meta, ...body };
}

import type { KV, KvEntry } from '@nats-io/kv';
import { kvEntries } from '@x0/bus';
import { FailedPreconditionError } from '@x0/core';
import type { AliasChange, AliasState } from './types';

/** Most history entries and earlier holders kept per alias. */
export const HISTORY_LIMIT = 100;

/** Decodes an alias KV entry. */
export function parseAliasState(entry: KvEntry): AliasState {
  const body = entry.json<Omit<AliasState, 'revision'>>();
  return { ...body, revision: entry.revision };
}

/** Every alias of `model` stored in `kv` (keys `a.<model>.*`; deleted ones left out), by alias name. */
export async function readAliasStates(kv: KV, model: string): Promise<AliasState[]> {
  const out: AliasState[] = [];
  for (const entry of await kvEntries(kv, `a.${model}.*`)) if (entry.operation === 'PUT') out.push(parseAliasState(entry));
  return out.sort((a, b) => a.alias.localeCompare(b.alias));
}

/** A promotion to move to. */
export interface AliasMove {
  model: string;
  alias: string;
  version: string;
  timeMs: number;
  reason: string;
  actor: string;
}

/**
 * The actor and reason of a history entry: as stored when the entry has an `actor` (every entry
 * the registry writes has one, '' when nobody was named). Entries written before the actor was
 * kept (`actor` absent) folded it into the reason as 'by <actor>: <why>' (the trainer's
 * Promote/Rollback RPCs did): only that exact form — one word, ': ', a non-empty why — is split,
 * so a reason such as 'by design' or 'by hand' stays the reason.
 */
export function whoAndWhy(entry: { reason?: string; actor?: string }): { reason: string; actor: string } {
  const reason = entry.reason ?? '';
  if (entry.actor !== undefined) return { reason, actor: entry.actor };
  const m = /^by ([^\s:]+): (\S[\s\S]*)$/.exec(reason);
  return m ? { actor: m[1], reason: m[2] } : { reason, actor: '' };
}

/**
 * State after pointing the alias at `move.version`: the current holder is pushed onto
 * `previous` (for rollback) and the move appended to the history. Returns `cur` itself
 * when it already points there (nothing to do).
 */
export function moveAlias(cur: AliasState | undefined, move: AliasMove): AliasState {
  if (cur && cur.version === move.version) return cur;
  const entry = { type: 'promote' as const, version: move.version, previousVersion: cur?.version ?? '', timeMs: move.timeMs, reason: move.reason, actor: move.actor };
  return {
    model: move.model,
    alias: move.alias,
    version: move.version,
    previous: cur ? [...cur.previous, cur.version].slice(-HISTORY_LIMIT) : [],
    history: [...(cur?.history ?? []), entry].slice(-HISTORY_LIMIT),
    revision: cur?.revision ?? 0,
  };
}

/**
 * State after moving the alias back to its previous holder (popped from `previous`).
 * Throws FailedPreconditionError when there is no earlier holder.
 */
export function rollbackAlias(cur: AliasState, timeMs: number, reason: string, actor = ''): AliasState {
  const version = cur.previous[cur.previous.length - 1];
  if (version === undefined) {
    throw new FailedPreconditionError(`alias ${cur.alias} of model ${cur.model} has no earlier version to roll back to (it holds ${cur.version})`);
  }
  const entry = { type: 'rollback' as const, version, previousVersion: cur.version, timeMs, reason, actor };
  return { ...cur, version, previous: cur.previous.slice(0, -1), history: [...cur.history, entry].slice(-HISTORY_LIMIT) };
}

/** The change that produced `state` (its last history entry). */
export function lastChange(state: AliasState): AliasChange {
  const last = state.history[state.history.length - 1];
  return {
    model: state.model,
    alias: state.alias,
    version: state.version,
    previousVersion: last?.previousVersion ?? '',
    type: last?.type ?? 'promote',
    timeMs: last?.timeMs ?? 0,
    ...whoAndWhy({ reason: last?.reason, actor: last?.actor }),
    revision: state.revision,
  };
}

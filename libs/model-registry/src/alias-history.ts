import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { readAliasStates, whoAndWhy } from './alias-state';
import { checkName } from './names';
import type { AliasState } from './types';

/** One move of one alias, as `x0 models show` lists them. */
export interface AliasHistoryRow {
  timeMs: number;
  alias: string;
  type: 'promote' | 'rollback';
  /** Holder before the move; '' when the alias was new. */
  previousVersion: string;
  version: string;
  /** Who moved it; '' for the trainer's own moves (and when not known). */
  actor: string;
  reason: string;
}

/**
 * The moves of every alias in `states`, newest first, at most `limit` (default: all). Moves at the
 * same time (the clock's millisecond) are ordered by alias name, and within one alias newest first
 * (its history is in move order). Across aliases nothing stored says which of two such moves came
 * first: a history entry keeps no KV revision.
 */
export function aliasHistoryRows(states: readonly AliasState[], limit = Infinity): AliasHistoryRow[] {
  const rows = states.flatMap((s) =>
    s.history.map((h, i) => ({ i, row: { timeMs: h.timeMs, alias: s.alias, type: h.type, previousVersion: h.previousVersion, version: h.version, ...whoAndWhy(h) } })),
  );
  return rows
    .sort((a, b) => b.row.timeMs - a.row.timeMs || a.row.alias.localeCompare(b.row.alias) || b.i - a.i)
    .slice(0, Math.max(0, limit))
    .map(({ row }) => row);
}

/**
 * The alias history of `model` (every alias), newest first, at most `limit` (default: all), read from the
 * registry's KV bucket (default 'x0_models') without creating it: [] when the bucket or the
 * model's aliases do not exist. Any other failure (JetStream not enabled or not answering, no
 * permission, a closed connection) is thrown, so the reader can say the history is not available.
 * For readers that have a connection but no registry (the CLI).
 */
export async function readAliasHistory(nc: NatsConnection, model: string, options: { kvBucket?: string; limit?: number } = {}): Promise<AliasHistoryRow[]> {
  checkName('model', model);
  let kv;
  try {
    kv = await new Kvm(nc).open(options.kvBucket ?? 'x0_models');
    await kv.status();
  } catch (err) {
    if (isStreamNotFound(err)) return [];
    throw err;
  }
  return aliasHistoryRows(await readAliasStates(kv, model), options.limit);
}

/** The bucket's stream does not exist (JetStream API error 10059). */
function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

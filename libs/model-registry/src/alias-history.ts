import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { kvEntries } from '@x0/bus';
import { parseAliasState, whoAndWhy } from './alias-state';
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

/** The moves of every alias in `states`, newest first, at most `limit`. */
export function aliasHistoryRows(states: readonly AliasState[], limit = 20): AliasHistoryRow[] {
  const rows = states.flatMap((s) =>
    s.history.map((h) => ({ timeMs: h.timeMs, alias: s.alias, type: h.type, previousVersion: h.previousVersion, version: h.version, ...whoAndWhy(h) })),
  );
  // Stable sort on a copy of each alias's oldest-first history: equal times keep their order, reversed.
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.timeMs - a.r.timeMs || b.i - a.i)
    .slice(0, Math.max(0, limit))
    .map(({ r }) => r);
}

/**
 * The alias history of `model` (every alias), newest first, at most `limit`, read from the
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
  const states: AliasState[] = [];
  for (const entry of await kvEntries(kv, `a.${model}.*`)) if (entry.operation === 'PUT') states.push(parseAliasState(entry));
  return aliasHistoryRows(states, options.limit);
}

/** The bucket's stream does not exist (JetStream API error 10059). */
function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

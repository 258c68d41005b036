import { InvalidArgumentError } from '@x0/core';

/** Settings of IncidentMemory. */
export interface IncidentMemoryOptions {
  /** How long an incident is remembered after it was last touched (ms). */
  retentionMs: number;
  /** Most incidents remembered at once; the one least recently touched goes first (default 10 000). */
  maxIncidents?: number;
}

/**
 * An entry per open incident, bounded: an incident is forgotten `retentionMs` after it was
 * last touched, and at most `maxIncidents` are kept (the least recently touched goes first).
 * What IncidentAttempts and ApprovalRequests remember per incident.
 */
export class IncidentMemory<E extends { lastMs: number }> {
  readonly retentionMs: number;
  private readonly maxIncidents: number;
  private readonly incidents = new Map<string, E>();

  /** Throws InvalidArgumentError for a negative retention or a maxIncidents below 1. */
  constructor(options: IncidentMemoryOptions) {
    if (!(options.retentionMs >= 0)) throw new InvalidArgumentError('retentionMs', 'must be ≥ 0');
    const max = options.maxIncidents ?? 10_000;
    if (!(Number.isInteger(max) && max >= 1)) throw new InvalidArgumentError('maxIncidents', 'must be an integer ≥ 1');
    this.retentionMs = options.retentionMs;
    this.maxIncidents = max;
  }

  /** Number of incidents remembered. */
  get size(): number {
    return this.incidents.size;
  }

  /** The entry of `incidentId` whether or not it is past its retention. */
  peek(incidentId: string): E | undefined {
    return this.incidents.get(incidentId);
  }

  /** The entry of `incidentId` as of `now`; one past its retention is forgotten. */
  get(incidentId: string | undefined, now: number): E | undefined {
    if (!incidentId) return undefined;
    const e = this.incidents.get(incidentId);
    if (e && now - e.lastMs >= this.retentionMs) {
      this.incidents.delete(incidentId);
      return undefined;
    }
    return e;
  }

  /** The entry of `incidentId` (made by `create` when there is none), touched at `atMs`. */
  touch(incidentId: string, atMs: number, create: () => E): E {
    const e = this.incidents.get(incidentId) ?? create();
    // Re-inserted: the map's order is the order of the last touch (oldest first), for the bound.
    this.incidents.delete(incidentId);
    this.incidents.set(incidentId, e);
    e.lastMs = Math.max(e.lastMs, atMs);
    if (this.incidents.size > this.maxIncidents) this.incidents.delete(this.incidents.keys().next().value as string);
    return e;
  }

  /** Forgets the incidents last touched `retentionMs` or more before `now`. */
  prune(now: number): void {
    for (const [id, e] of this.incidents) if (now - e.lastMs >= this.retentionMs) this.incidents.delete(id);
  }
}

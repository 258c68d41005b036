import type { KV } from '@nats-io/kv';
import { InvalidArgumentError, NotFoundError } from '@x0/core';
import { openKeyValue, toKvKey, type Bus } from '@x0/bus';
import { Incident, incidentOfRecord, type IncidentTry, type Outcome } from '@x0/contracts';

/** Bucket holding one Incident (protobuf) per anomaly id. */
export const INCIDENTS_BUCKET = 'x0_incidents';

/** The incident record of an outcome: what the anomaly looked like, what was done, what came of it. */
export function incidentFromOutcome(outcome: Outcome, now = Date.now()): Incident {
  const ctx = outcome.incident!;
  return {
    id: ctx.anomalyId,
    context: ctx,
    verdict: outcome.verdict,
    recovered: outcome.recovered,
    timeToRecoverMs: outcome.timeToRecoverMs,
    recordedMs: now,
    outcomeId: outcome.meta!.id,
    outcomeMs: outcome.meta!.timeMs,
  };
}

/** Most records of one incident `ofIncident` reads (the newest): bounds an evidence answer on a fault that lasts for days. */
export const MAX_INCIDENT_RECORDS = 200;

/**
 * Incidents in NATS KV, with the newest `indexSize` kept in memory (loaded by a KV watch at
 * start) for fast listing; older ones are fetched by id.
 */
export class IncidentStore {
  private readonly recent = new Map<string, Incident>();
  /** Record ids of the indexed records by incident id (the records of every announcement of a lasting fault). */
  private readonly byIncident = new Map<string, Set<string>>();
  private stopWatch?: () => void;

  /** A store over an open KV bucket (`open` opens INCIDENTS_BUCKET); `start()` loads the index. */
  constructor(
    private readonly kv: Pick<KV, 'put' | 'get' | 'watch' | 'status'>,
    private readonly indexSize: number,
  ) {}

  static async open(bus: Bus, indexSize = 10_000): Promise<IncidentStore> {
    return new IncidentStore(await openKeyValue(bus, INCIDENTS_BUCKET, { description: 'x0 knowledge: incidents by anomaly id' }), indexSize);
  }

  /** Loads existing incidents into the in-memory index and follows new ones. */
  async start(): Promise<number> {
    const iter = await this.kv.watch({ key: '>' });
    this.stopWatch = () => iter.stop();
    let initial = 0;
    let pending = (await this.kv.status()).values;
    const loaded = new Promise<void>((resolve) => {
      if (pending === 0) resolve();
      (async () => {
        for await (const e of iter) {
          if (e.operation === 'PUT' && e.value.length > 0) this.index(Incident.decode(e.value));
          if (pending > 0 && --pending === 0) {
            initial = this.recent.size;
            resolve();
          }
        }
      })().catch(() => resolve());
    });
    await loaded;
    return initial;
  }

  stop(): void {
    this.stopWatch?.();
  }

  async put(incident: Incident): Promise<void> {
    await this.kv.put(toKvKey(incident.id), Incident.encode(incident).finish());
    this.index(incident);
  }

  /**
   * The record stored under an anomaly id. Throws InvalidArgumentError for an empty id (it was
   * sent to KV as the key `b64.`, which answered `internal error: invalid key: b64.`),
   * NotFoundError when there is none.
   */
  async get(id: string): Promise<Incident> {
    if (!id.trim()) throw new InvalidArgumentError('id', 'must not be empty: an incident is named by its anomaly id or its incident id (x0 incidents, INCIDENT)');
    const hit = this.recent.get(id);
    if (hit) return hit;
    const e = await this.kv.get(toKvKey(id));
    if (!e || e.operation !== 'PUT' || e.value.length === 0) throw new NotFoundError('incident', id);
    return Incident.decode(e.value);
  }

  /** Newest first, optionally for one component and/or one incident (the records of all its announcements). */
  list(component = '', limit = 50, incidentId = ''): Incident[] {
    const from = incidentId ? this.recordsOf(incidentId) : [...this.recent.values()];
    const all = from.filter((i) => !component || i.context?.component === component);
    all.sort((a, b) => b.recordedMs - a.recordedMs);
    return all.slice(0, limit);
  }

  /**
   * What was tried on an incident so far, by action in the order first tried: the indexed
   * records of that incident id (at most the newest MAX_INCIDENT_RECORDS), tallied. A record
   * without an action is left out. Read from memory: no KV access.
   */
  tried(incidentId: string): IncidentTry[] {
    const records = this.recordsOf(incidentId)
      .sort((a, b) => (b.outcomeMs || b.recordedMs) - (a.outcomeMs || a.recordedMs))
      .slice(0, MAX_INCIDENT_RECORDS)
      .reverse();
    const byAction = new Map<string, IncidentTry>();
    for (const r of records) {
      const action = r.context?.action;
      if (!action) continue;
      const t = byAction.get(action) ?? { action, attempts: 0, recovered: 0, lastMs: 0 };
      t.attempts++;
      if (r.recovered) t.recovered++;
      t.lastMs = Math.max(t.lastMs, r.outcomeMs || r.recordedMs);
      byAction.set(action, t);
    }
    return [...byAction.values()];
  }

  get size(): number {
    return this.recent.size;
  }

  private recordsOf(incidentId: string): Incident[] {
    return [...(this.byIncident.get(incidentId) ?? [])].map((id) => this.recent.get(id)!);
  }

  private index(incident: Incident): void {
    this.forget(incident.id);
    this.recent.set(incident.id, incident);
    const key = incidentOfRecord(incident);
    const ids = this.byIncident.get(key) ?? new Set<string>();
    ids.add(incident.id);
    this.byIncident.set(key, ids);
    if (this.recent.size > this.indexSize) {
      // Drop the oldest by record time (the map is in arrival order, close to time order).
      this.forget(this.recent.keys().next().value!);
    }
  }

  private forget(id: string): void {
    const old = this.recent.get(id);
    if (!old) return;
    this.recent.delete(id);
    const key = incidentOfRecord(old);
    const ids = this.byIncident.get(key);
    ids?.delete(id);
    if (ids?.size === 0) this.byIncident.delete(key);
  }
}


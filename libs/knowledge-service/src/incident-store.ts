import type { KV } from '@nats-io/kv';
import { NotFoundError } from '@x0/core';
import { openKeyValue, toKvKey, type Bus } from '@x0/bus';
import { Incident, type Outcome } from '@x0/contracts';

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
  };
}

/**
 * Incidents in NATS KV, with the newest `indexSize` kept in memory (loaded by a KV watch at
 * start) for fast listing; older ones are fetched by id.
 */
export class IncidentStore {
  private readonly recent = new Map<string, Incident>();
  private stopWatch?: () => void;

  private constructor(
    private readonly kv: KV,
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

  async get(id: string): Promise<Incident> {
    const hit = this.recent.get(id);
    if (hit) return hit;
    const e = await this.kv.get(toKvKey(id));
    if (!e || e.operation !== 'PUT' || e.value.length === 0) throw new NotFoundError('incident', id);
    return Incident.decode(e.value);
  }

  /** Newest first, optionally for one component. */
  list(component = '', limit = 50): Incident[] {
    const all = [...this.recent.values()].filter((i) => !component || i.context?.component === component);
    all.sort((a, b) => b.recordedMs - a.recordedMs);
    return all.slice(0, limit);
  }

  get size(): number {
    return this.recent.size;
  }

  private index(incident: Incident): void {
    this.recent.delete(incident.id);
    this.recent.set(incident.id, incident);
    if (this.recent.size > this.indexSize) {
      // Drop the oldest by record time (the map is in arrival order, close to time order).
      this.recent.delete(this.recent.keys().next().value!);
    }
  }
}


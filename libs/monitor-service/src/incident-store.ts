import type { KV } from '@nats-io/kv';
import { z } from 'zod';
import { errorMessage } from '@x0/core';
import { type Bus, fromKvKey, kvRecords, provisionKeyValue, toKvKey } from '@x0/bus';
import type { Logger } from '@x0/service-kit';
import type { OpenIncident } from './incident-gate';

/** Bucket holding one record per component with an open incident. */
export const MONITOR_INCIDENTS_BUCKET = 'x0_monitor_incidents';

/**
 * How long a record is kept after its latest write (the bucket's TTL). An open incident's
 * record is rewritten at each re-announcement (MONITOR_REALERT_S), so only the record of a
 * component that stopped reporting during its incident expires: it is not carried on forever.
 */
export const MONITOR_INCIDENT_TTL_MS = 7 * 24 * 3600_000;

/** A component's open incident and the detector state it goes back to when the incident clears. */
export interface IncidentRecord {
  incident: OpenIncident;
  /** The component's detector snapshot from before the incident. */
  before: Uint8Array;
}

/**
 * The record's format. The incident's id, start and announcement count were added without a
 * new version: an older monitor reads such a record (zod drops the keys it does not know), and
 * a record it wrote is read here with fallbacks (see `decodeIncidentRecord`).
 */
const RECORD_VERSION = 1;

const recordSchema = z.object({
  version: z.literal(RECORD_VERSION),
  incident: z.object({
    anomalyId: z.string().min(1),
    // (absent in records written before an anomaly named its incident: see decodeIncidentRecord)
    incidentId: z.string().optional(),
    incidentStartMs: z.number().nonnegative().optional(),
    announcement: z.number().int().nonnegative().optional(),
    severity: z.enum(['low', 'medium', 'high']),
    lastAlertMs: z.number(),
    tracked: z.array(
      z.object({
        metric: z.string().min(1),
        mean: z.number(),
        // (absent in records written before the onset normal was described with its spread)
        std: z.number().nonnegative().optional(),
        tolerance: z.number().positive(),
        direction: z.union([z.literal(1), z.literal(-1)]),
      }),
    ),
  }),
  /** base64 of the detector snapshot. */
  before: z.string().min(1),
});

/**
 * Open incidents in NATS KV, so a restarted monitor carries on an incident it had open and,
 * when the incident clears, puts the component's detector back to its state from before the
 * incident, instead of keeping what it learnt from the fault.
 *
 * Writes are batched with the detector snapshots (see `MonitorRuntime`): records of incidents
 * opened or re-announced are written before the snapshots, records of incidents that cleared
 * are deleted after them, so KV never holds a faulty snapshot without the state from before it.
 */
export class IncidentStore {
  private kv?: KV;
  private readonly pending = new Map<string, 'put' | 'delete'>();

  /** `ttlMs`: the bucket's TTL (`MONITOR_INCIDENT_TTL_MS` by default; applied to an existing bucket too). */
  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly ttlMs = MONITOR_INCIDENT_TTL_MS,
  ) {}

  async open(): Promise<void> {
    this.kv ??= await provisionKeyValue(this.bus, MONITOR_INCIDENTS_BUCKET, {
      description: 'x0 monitor: open incidents and the detector state from before each',
      ttl: this.ttlMs,
    });
  }

  /** Every stored record by component. An unreadable record is logged and deleted (that incident is not carried on). */
  async loadAll(): Promise<Map<string, IncidentRecord>> {
    await this.open();
    const records = await kvRecords(
      this.kv!,
      (entry): IncidentRecord => decodeIncidentRecord(entry.json()),
      (key, err) => this.logger.warn({ component: fromKvKey(key), err: errorMessage(err) }, 'stored open incident not readable; deleted (the incident is not carried on)'),
    );
    return new Map([...records].map(([key, r]) => [fromKvKey(key), r]));
  }

  /** The component's incident opened or was re-announced: its record is written at the next `writeOpen`. */
  markOpen(component: string): void {
    this.pending.set(component, 'put');
  }

  /** The component's incident cleared: its record is deleted at the next `deleteCleared`. */
  markCleared(component: string): void {
    this.pending.set(component, 'delete');
  }

  /** Whether the component's record is marked to be written and not written yet (also after a failed write). */
  awaitingWrite(component: string): boolean {
    return this.pending.get(component) === 'put';
  }

  /**
   * Writes the records marked open; `record` gives each one's current content (undefined:
   * nothing to write). Returns the components whose record could not be written (they stay
   * marked for the next round): their detector snapshots must not be written before it is.
   */
  async writeOpen(record: (component: string) => IncidentRecord | undefined): Promise<{ written: number; failed: ReadonlySet<string> }> {
    const failed = new Set<string>();
    const due = this.take('put');
    if (due.length === 0) return { written: 0, failed };
    try {
      await this.open();
    } catch (err) {
      for (const c of due) if (!this.pending.has(c)) this.pending.set(c, 'put');
      this.logger.warn({ err: errorMessage(err) }, 'cannot open the open-incidents bucket; will retry');
      for (const c of due) failed.add(c);
      return { written: 0, failed };
    }
    let written = 0;
    await Promise.all(
      due.map(async (c) => {
        const r = record(c);
        if (!r) return;
        try {
          await this.kv!.put(toKvKey(c), encodeIncidentRecord(r));
          written++;
        } catch (err) {
          failed.add(c);
          if (!this.pending.has(c)) this.pending.set(c, 'put');
          this.logger.warn({ component: c, err: errorMessage(err) }, 'cannot store open incident; will retry');
        }
      }),
    );
    return { written, failed };
  }

  /** Deletes the records of incidents that cleared. */
  async deleteCleared(): Promise<number> {
    const due = this.take('delete');
    if (due.length === 0) return 0;
    await this.open();
    let count = 0;
    await Promise.all(
      due.map(async (c) => {
        try {
          await this.kv!.delete(toKvKey(c));
          count++;
        } catch (err) {
          if (!this.pending.has(c)) this.pending.set(c, 'delete');
          this.logger.warn({ component: c, err: errorMessage(err) }, 'cannot delete cleared incident; will retry');
        }
      }),
    );
    return count;
  }

  private take(op: 'put' | 'delete'): string[] {
    const due = [...this.pending].filter(([, o]) => o === op).map(([c]) => c);
    for (const c of due) this.pending.delete(c);
    return due;
  }
}

/** The stored form of a record (JSON). */
export function encodeIncidentRecord(r: IncidentRecord): string {
  return JSON.stringify({ version: RECORD_VERSION, incident: r.incident, before: Buffer.from(r.before).toString('base64') });
}

/**
 * A stored record (parsed JSON); throws when it is not one. A record written by an older monitor
 * has no incident id, start or count: its anomaly is taken as the incident (the id consumers
 * were given for it, as analyze reads an anomaly that names no incident), announced once, at the
 * time of that announcement — a restarted monitor re-announces it as announcement 2 of that id.
 */
export function decodeIncidentRecord(json: unknown): IncidentRecord {
  const r = recordSchema.parse(json);
  const { incidentId, incidentStartMs, announcement, ...rest } = r.incident;
  return {
    incident: {
      ...rest,
      incidentId: incidentId || rest.anomalyId,
      incidentStartMs: incidentStartMs || rest.lastAlertMs,
      announcement: announcement || 1,
    },
    before: new Uint8Array(Buffer.from(r.before, 'base64')),
  };
}

import type { KV } from '@nats-io/kv';
import { isKvRevisionConflict, openKeyValue, toKvKey, type Bus } from '@x0/bus';

/** KV bucket of the operator label in force per anomaly (what makes `x0 label` idempotent). */
export const LABEL_BUCKET = 'x0_trainer_labels';

/** The operator label in force for one anomaly. */
export interface OperatorLabelRecord {
  labelId: string;
  anomalyId: string;
  component: string;
  /** The verdict: true = the anomaly was real, false = a false alarm. */
  anomaly: boolean;
  actor: string;
  timeMs: number;
  /** The earlier label this one corrected, or ''. */
  replaces: string;
}

/** A record with the KV revision it was read at (for compare-and-set). */
export interface StoredLabel {
  record: OperatorLabelRecord;
  revision: number;
}

/**
 * The operator label in force per anomaly, in the KV bucket `x0_trainer_labels` (kept as long
 * as the events, 30 days by default). Writes are compare-and-set: `put` throws
 * {@link LabelConflictError} when someone else labelled the anomaly since it was read.
 */
export class LabelStore {
  private kv?: KV;

  constructor(private readonly o: { bus: Bus; ttlMs?: number }) {}

  /** Opens (creates) the bucket. */
  async start(): Promise<void> {
    this.kv ??= await openKeyValue(this.o.bus, LABEL_BUCKET, { description: 'x0 trainer: the operator label in force per anomaly', ttl: this.o.ttlMs ?? 30 * 86_400_000 });
  }

  /** The label in force for an anomaly, or undefined (none, deleted or expired). */
  async get(anomalyId: string): Promise<StoredLabel | undefined> {
    const entry = await this.bucket().get(toKvKey(anomalyId));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { record: entry.json<OperatorLabelRecord>(), revision: entry.revision };
  }

  /**
   * Writes `record` if the anomaly's label is still the one read at `revision` (undefined: none).
   * Returns the new revision; throws LabelConflictError when it changed meanwhile.
   */
  async put(record: OperatorLabelRecord, revision: number | undefined): Promise<number> {
    const key = toKvKey(record.anomalyId);
    try {
      return revision === undefined ? await this.bucket().create(key, JSON.stringify(record)) : await this.bucket().update(key, JSON.stringify(record), revision);
    } catch (err) {
      if (isKvRevisionConflict(err)) throw new LabelConflictError(record.anomalyId, { cause: err });
      throw err;
    }
  }

  /** Puts back what `put` replaced (`previous`, or nothing), if the key is still at `revision`. Best effort. */
  async undo(anomalyId: string, previous: OperatorLabelRecord | undefined, revision: number): Promise<void> {
    const key = toKvKey(anomalyId);
    const kv = this.bucket();
    await (previous ? kv.update(key, JSON.stringify(previous), revision) : kv.delete(key, { previousSeq: revision })).catch(() => undefined);
  }

  private bucket(): KV {
    if (!this.kv) throw new Error('label store not started');
    return this.kv;
  }
}

/** Thrown by {@link LabelStore.put} when the anomaly was labelled by someone else since it was read. */
export class LabelConflictError extends Error {
  override readonly name = 'LabelConflictError';
  constructor(
    readonly anomalyId: string,
    options?: { cause?: unknown },
  ) {
    super(`anomaly ${anomalyId} was labelled concurrently`, options);
  }
}
